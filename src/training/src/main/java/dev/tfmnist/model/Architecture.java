package dev.tfmnist.model;

import java.util.Locale;

/**
 * The two choices the original article discusses and its program fixes: how the 2x2 pools reduce
 * a window, and what the convolutions and pools do at the image's edges. {@link #ORIGINAL} is the
 * program's: max pooling, SAME padding.
 *
 * @param pooling max or mean of each 2x2 window
 * @param padding SAME pads the edges (a 5x5 convolution keeps 28x28, a pool halves it rounding
 *     up); VALID uses whole windows only (28 -> 24 -> 12 -> 8 -> 4)
 */
public record Architecture(Pooling pooling, Padding padding) {
  public static final Architecture ORIGINAL = new Architecture(Pooling.MAX, Padding.SAME);

  /** How a 2x2 pool reduces its window. */
  public enum Pooling {
    MAX("MaxPool"), MEAN("AvgPool");

    final String op;

    Pooling(String op) {
      this.op = op;
    }
  }

  /** What convolutions and pools do where a window passes the image's edge. */
  public enum Padding {
    SAME, VALID
  }

  public Architecture {
    if (pooling == null || padding == null) {
      throw new IllegalArgumentException("pooling and padding must be given");
    }
  }

  /** "max pooling, SAME padding". */
  @Override
  public String toString() {
    return pooling.name().toLowerCase(Locale.ROOT) + " pooling, " + padding + " padding";
  }
}
