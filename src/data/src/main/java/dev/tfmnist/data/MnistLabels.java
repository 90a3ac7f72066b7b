package dev.tfmnist.data;

import java.util.Arrays;
import java.util.Objects;

/** Digit labels 0..9, one per image; immutable, equal by content (see {@link MnistImages}). */
public final class MnistLabels {
  public static final int CLASSES = 10;

  private final byte[] labels;

  /** Takes ownership of an already validated array: only for readers in this package. */
  MnistLabels(byte[] labels) {
    this.labels = labels;
  }

  /** Labels from a copy of {@code labels}; each must be 0..9. */
  public static MnistLabels of(byte[] labels) {
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= CLASSES) {
        throw new IllegalArgumentException(
            "label " + Byte.toUnsignedInt(labels[i]) + " at index " + i + ", expected 0..9");
      }
    }
    return new MnistLabels(labels.clone());
  }

  public int count() {
    return labels.length;
  }

  public int label(int index) {
    Objects.checkIndex(index, labels.length);
    return labels[index];
  }

  byte[] labelArray() {
    return labels;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MnistLabels that && Arrays.equals(labels, that.labels);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(labels);
  }

  @Override
  public String toString() {
    return "MnistLabels[count=" + labels.length + "]";
  }
}
