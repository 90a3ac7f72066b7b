package dev.tfmnist.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * MNIST split the way TF1's {@code input_data.read_data_sets} split it: the first 5,000 training
 * images become the validation set and {@code train} keeps the other 55,000, while {@code test} is
 * the 10,000 test images. The original program trains on exactly those 55,000, so a port that used
 * all 60,000 would see different batches.
 */
public record MnistDataset(MnistSplit train, MnistSplit validation, MnistSplit test) {
  /** {@code read_data_sets}' default {@code validation_size}. */
  public static final int VALIDATION_SIZE = 5000;

  public MnistDataset {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(validation, "validation");
    Objects.requireNonNull(test, "test");
  }

  /**
   * Loads the four files from {@code dir}, each compressed or raw (see {@link MnistFile#locate}).
   * Their checksums are deliberately not checked; {@link IdxReader} validates the structure.
   */
  public static MnistDataset load(Path dir) throws IOException {
    return load(dir, VALIDATION_SIZE);
  }

  public static MnistDataset load(Path dir, int validationSize) throws IOException {
    // Locate all four first, so a missing file is reported before a second of decompression.
    Path trainImages = MnistFile.TRAIN_IMAGES.require(dir);
    Path trainLabels = MnistFile.TRAIN_LABELS.require(dir);
    Path testImages = MnistFile.TEST_IMAGES.require(dir);
    Path testLabels = MnistFile.TEST_LABELS.require(dir);
    LabeledImages training = IdxReader.read(trainImages, trainLabels);
    LabeledImages test = IdxReader.read(testImages, testLabels);
    return of(training, test, validationSize);
  }

  /** The split of already read data; {@code validationSize} may be 0 but not all of training. */
  public static MnistDataset of(LabeledImages training, LabeledImages test, int validationSize) {
    if (validationSize < 0 || validationSize >= training.count()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "validation size %d, expected 0..%d for %d training images",
              validationSize,
              training.count() - 1,
              training.count()));
    }
    return new MnistDataset(
        MnistSplit.of(training, validationSize, training.count()),
        MnistSplit.of(training, 0, validationSize),
        MnistSplit.of(test, 0, test.count()));
  }
}
