package dev.tfmnist.loader.image;

import java.util.Objects;

/**
 * A grayscale image: {@code width * height} intensities in [0, 1], row by row, 0 black and 1
 * white.
 */
public final class GrayImage {
  private final int width;
  private final int height;
  private final float[] pixels;

  public GrayImage(int width, int height, float[] pixels) {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
    }
    Objects.requireNonNull(pixels, "pixels");
    if ((long) width * height != pixels.length) {
      throw new IllegalArgumentException(width + "x" + height + " needs " + (long) width * height
          + " pixels, got " + pixels.length);
    }
    for (float p : pixels) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("pixel values must be in [0, 1], got " + p);
      }
    }
    this.width = width;
    this.height = height;
    this.pixels = pixels.clone();
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  public float pixel(int x, int y) {
    Objects.checkIndex(x, width);
    Objects.checkIndex(y, height);
    return pixels[y * width + x];
  }

  public float[] pixels() {
    return pixels.clone();
  }

  /** No copy, for this package's own loops. */
  float[] data() {
    return pixels;
  }

  @Override
  public String toString() {
    return "GrayImage[" + width + "x" + height + "]";
  }
}
