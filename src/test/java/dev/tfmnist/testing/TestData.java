package dev.tfmnist.testing;

import dev.tfmnist.data.MnistDataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real MNIST files the tests run on: $MNIST_DIR, else ../shared/mnist beside the project. */
public final class TestData {
  private static MnistDataset dataset;

  private TestData() {}

  public static Path mnistDir() {
    String env = System.getenv("MNIST_DIR");
    Path dir = env != null && !env.isEmpty()
        ? Path.of(env)
        : Path.of(System.getProperty("user.dir")).resolve("../shared/mnist").normalize();
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("MNIST files not found at " + dir + ": set MNIST_DIR");
    }
    return dir;
  }

  /** Loaded once per test JVM: parsing 70,000 images takes a second. */
  public static synchronized MnistDataset dataset() {
    if (dataset == null) {
      try {
        dataset = MnistDataset.load(mnistDir());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dataset;
  }
}
