package dev.tfmnist.loader.image;

import java.util.Objects;

/**
 * A grayscale image: {@code width * height} intensities in [0, 1], row by row, 0 black and 1
 * white. Immutable: the constructor copies the pixels and {@link #pixels()} returns a copy.
 */
public final class GrayImage {
  private final int width;
  private final int height;
  private final float[] pixels;

  /**
   * Creates an image from a copy of {@code pixels}.
   *
   * @param width columns of pixels
   * @param height rows of pixels
   * @param pixels {@code width * height} intensities in [0, 1], row-major
   * @throws IllegalArgumentException if the size is not positive, {@code pixels} has another
   *     length, or a pixel is outside [0, 1] or NaN
   * @throws NullPointerException if {@code pixels} is null
   */
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

  /**
   * The width.
   *
   * @return columns of pixels
   */
  public int width() {
    return width;
  }

  /**
   * The height.
   *
   * @return rows of pixels
   */
  public int height() {
    return height;
  }

  /**
   * One pixel.
   *
   * @param x the column, from 0 at the left
   * @param y the row, from 0 at the top
   * @return its intensity, in [0, 1]
   * @throws IndexOutOfBoundsException if {@code (x, y)} is outside the image
   */
  public float pixel(int x, int y) {
    Objects.checkIndex(x, width);
    Objects.checkIndex(y, height);
    return pixels[y * width + x];
  }

  /**
   * All pixels.
   *
   * @return a copy of the {@code width * height} intensities, row-major
   */
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
