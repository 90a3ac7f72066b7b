package dev.tfmnist.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * One part of the dataset as the network consumes it: pixels as float32 in [0, 1] and digit labels,
 * with helpers that write batches into caller-owned arrays so a training loop allocates nothing per
 * step.
 *
 * <p>Pixels are scaled the way TF1's {@code input_data} did, {@code numpy.multiply(images, 1.0 /
 * 255.0)} on a float32 array: the factor is rounded to float32 first and the product is a float32
 * multiplication. That differs from {@code p / 255f} in the last bit for about half the pixel
 * values, and matching the original keeps a Python reimplementation bit-for-bit comparable. 255
 * still maps to exactly 1.0.
 */
public final class MnistSplit {
  public static final int PIXELS = MnistImages.PIXELS;
  public static final int CLASSES = MnistLabels.CLASSES;

  /** TF1's {@code 1.0 / 255.0} as numpy applies it to a float32 array. */
  static final float SCALE = (float) (1.0 / 255.0);

  private final float[] images;
  private final byte[] labels;

  private MnistSplit(float[] images, byte[] labels) {
    this.images = images;
    this.labels = labels;
  }

  /** Items {@code from} (inclusive) to {@code to} (exclusive) of {@code data}, converted. */
  public static MnistSplit of(LabeledImages data, int from, int to) {
    Objects.checkFromToIndex(from, to, data.count());
    byte[] pixels = data.images().pixelArray();
    float[] images = new float[(to - from) * PIXELS];
    int offset = from * PIXELS;
    for (int i = 0; i < images.length; i++) {
      images[i] = Byte.toUnsignedInt(pixels[offset + i]) * SCALE;
    }
    return new MnistSplit(images, Arrays.copyOfRange(data.labels().labelArray(), from, to));
  }

  public int count() {
    return labels.length;
  }

  /** Pixel {@code index} (row * 28 + column) of {@code image}, in [0, 1]. */
  public float pixel(int image, int index) {
    Objects.checkIndex(image, labels.length);
    Objects.checkIndex(index, PIXELS);
    return images[image * PIXELS + index];
  }

  public int label(int image) {
    return labels[Objects.checkIndex(image, labels.length)];
  }

  /**
   * Writes images {@code from .. from + n - 1} into the first {@code n * 784} floats of {@code
   * dst}; a longer {@code dst} is allowed so that one buffer serves a short last chunk too.
   */
  public void copyImages(int from, int n, float[] dst) {
    Objects.checkFromIndexSize(from, n, labels.length);
    checkCapacity(dst, n, PIXELS, "dst");
    System.arraycopy(images, from * PIXELS, dst, 0, n * PIXELS);
  }

  /** Writes the one-hot labels of items {@code from .. from + n - 1} into {@code dst}. */
  public void fillOneHot(int from, int n, float[] dst) {
    Objects.checkFromIndexSize(from, n, labels.length);
    checkCapacity(dst, n, CLASSES, "dst");
    Arrays.fill(dst, 0, n * CLASSES, 0f);
    for (int i = 0; i < n; i++) {
      dst[i * CLASSES + labels[from + i]] = 1f;
    }
  }

  /**
   * Writes the items at {@code indices}, in that order, as a batch: images into {@code xs} ({@code
   * indices.length * 784} floats) and one-hot labels into {@code ys} ({@code indices.length * 10}).
   * Longer arrays are allowed; only their first part is written.
   */
  public void fillBatch(int[] indices, float[] xs, float[] ys) {
    int n = indices.length;
    checkCapacity(xs, n, PIXELS, "xs");
    checkCapacity(ys, n, CLASSES, "ys");
    // Validate everything before writing, so a bad index cannot leave a half-written batch.
    for (int index : indices) {
      Objects.checkIndex(index, labels.length);
    }
    Arrays.fill(ys, 0, n * CLASSES, 0f);
    for (int i = 0; i < n; i++) {
      int index = indices[i];
      System.arraycopy(images, index * PIXELS, xs, i * PIXELS, PIXELS);
      ys[i * CLASSES + labels[index]] = 1f;
    }
  }

  private static void checkCapacity(float[] array, int n, int width, String name) {
    if ((long) n * width > array.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s holds %d floats, expected at least %d for %d items",
              name,
              array.length,
              (long) n * width,
              n));
    }
  }

  @Override
  public String toString() {
    return "MnistSplit[count=" + labels.length + "]";
  }
}
