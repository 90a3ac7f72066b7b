package dev.tfmnist.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * 28x28 grayscale images as stored in an IDX file: one unsigned byte per pixel, row-major, one
 * image after another, 0 background and 255 ink.
 *
 * <p>Not a record: a record would expose its 47 MB array to mutation, and defensive copies on every
 * access would be worse. Equality is by content, which is what a reader of two copies of the same
 * file expects.
 */
public final class MnistImages {
  public static final int ROWS = 28;
  public static final int COLUMNS = 28;
  public static final int PIXELS = ROWS * COLUMNS;

  private final int count;
  private final byte[] pixels;

  /** Takes ownership of {@code pixels}: only for readers in this package that hand it over. */
  MnistImages(byte[] pixels) {
    if (pixels.length % PIXELS != 0) {
      throw new IllegalArgumentException(
          pixels.length + " pixel bytes is not a whole number of " + PIXELS + "-pixel images");
    }
    this.count = pixels.length / PIXELS;
    this.pixels = pixels;
  }

  /** Images from {@code count * 784} pixel bytes; the array is copied. */
  public static MnistImages of(byte[] pixels) {
    return new MnistImages(pixels.clone());
  }

  public int count() {
    return count;
  }

  /** Pixel {@code index} (row * 28 + column) of {@code image}, 0..255. */
  public int pixel(int image, int index) {
    Objects.checkIndex(image, count);
    Objects.checkIndex(index, PIXELS);
    return Byte.toUnsignedInt(pixels[image * PIXELS + index]);
  }

  /** The backing array, for the splits in this package, which read it once and convert it. */
  byte[] pixelArray() {
    return pixels;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MnistImages that && Arrays.equals(pixels, that.pixels);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(pixels);
  }

  @Override
  public String toString() {
    return "MnistImages[count=" + count + "]";
  }
}
