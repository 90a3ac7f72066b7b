package dev.tfmnist.data;

import java.util.Objects;

/** Images with their labels; image i belongs to label i, so the counts must agree. */
public record LabeledImages(MnistImages images, MnistLabels labels) {
  public LabeledImages {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(labels, "labels");
    if (images.count() != labels.count()) {
      throw new IllegalArgumentException(
          images.count() + " images but " + labels.count() + " labels, expected equal counts");
    }
  }

  public int count() {
    return images.count();
  }
}
