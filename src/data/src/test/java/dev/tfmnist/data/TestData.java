package dev.tfmnist.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** The real MNIST files, and builders of small synthetic IDX files. */
final class TestData {
  private TestData() {}

  private static Path realDir;

  /**
   * The directory with the real MNIST files, found as a user's run finds it: {@code $MNIST_DIR},
   * else {@code data/mnist} under the working directory (the project root, see the parent POM);
   * missing files are fetched there once per test JVM with the fetcher under test.
   */
  static synchronized Path realDir() {
    if (realDir == null) {
      Path dir = DataDirectory.resolve(null);
      try {
        new MnistFetcher(line -> System.err.println("test data: " + line)).ensure(dir);
      } catch (IOException e) {
        throw new IllegalStateException("test data: MNIST could not be fetched into " + dir, e);
      }
      realDir = dir;
    }
    return realDir;
  }

  /** One real MNIST file as it is on disk: the original .gz or the raw IDX file. */
  static Path real(MnistFile file) {
    return file.locate(realDir()).orElseThrow();
  }

  /** A real file's IDX content. */
  static byte[] rawBytes(MnistFile file) {
    try {
      return IdxReader.readAllBytes(real(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A real file as a mirror serves it: the original .gz when that is what the test data holds,
   * else the raw content gzipped here (the fetcher accepts either: it verifies the content).
   */
  static byte[] gzBytes(MnistFile file) {
    Path path = real(file);
    try {
      return path.getFileName().toString().endsWith(".gz")
          ? Files.readAllBytes(path)
          : gzip(rawBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] gzip(byte[] data) {
    var bytes = new ByteArrayOutputStream();
    try (var out = new GZIPOutputStream(bytes)) {
      out.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** An IDX3 header with the given fields, followed by {@code body}. */
  static byte[] images(int magic, int count, int rows, int columns, byte[] body) {
    return ByteBuffer.allocate(16 + body.length)
        .putInt(magic)
        .putInt(count)
        .putInt(rows)
        .putInt(columns)
        .put(body)
        .array();
  }

  /** A valid IDX3 file of {@code count} 28x28 images; pixel k of image i is (i * 7 + k) % 256. */
  static byte[] images(int count) {
    return images(2051, count, 28, 28, pixels(count));
  }

  static byte[] pixels(int count) {
    byte[] pixels = new byte[count * 784];
    for (int i = 0; i < count; i++) {
      for (int k = 0; k < 784; k++) {
        pixels[i * 784 + k] = (byte) (i * 7 + k);
      }
    }
    return pixels;
  }

  static byte[] labels(int magic, int count, byte[] body) {
    return ByteBuffer.allocate(8 + body.length).putInt(magic).putInt(count).put(body).array();
  }

  static byte[] labels(byte... labels) {
    return labels(2049, labels.length, labels);
  }

  static Path write(Path file, byte[] content) {
    try {
      return Files.write(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every entry in {@code dir}, hidden ones included, by file name. */
  static List<String> list(Path dir) {
    try (var entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
