package dev.tfmnist.bench;

import dev.tfmnist.data.IdxReader;
import dev.tfmnist.data.MnistFile;
import dev.tfmnist.data.MnistSplit;
import java.io.IOException;
import java.nio.file.Path;

/** MNIST test images as the network takes them (float32 in [0, 1], 784 per image). */
final class BenchImages {
  private BenchImages() {}

  /** The whole test split, read without the 60,000 training images. */
  static MnistSplit load(Path dataDir) throws IOException {
    var test = IdxReader.read(MnistFile.TEST_IMAGES.require(dataDir),
        MnistFile.TEST_LABELS.require(dataDir));
    return MnistSplit.of(test, 0, test.count());
  }

  /** The first {@code n} test images (n at most 10,000), row after row. */
  static float[] first(Path dataDir, int n) throws IOException {
    var split = load(dataDir);
    var images = new float[n * MnistSplit.PIXELS];
    split.copyImages(0, n, images);
    return images;
  }
}
