package dev.tfmnist.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The real MNIST files, and builders of small synthetic IDX files. */
final class TestData {
  private TestData() {}

  /** The directory with the real MNIST files (see {@link dev.tfmnist.testing.TestData}). */
  static Path realDir() {
    return dev.tfmnist.testing.TestData.mnistDir();
  }

  /** One real MNIST file as it is on disk: the original .gz or the raw IDX file. */
  static Path real(MnistFile file) {
    return dev.tfmnist.testing.TestData.file(file);
  }

  /** A real file as a mirror serves it (see {@link dev.tfmnist.testing.TestData#gzBytes}). */
  static byte[] gzBytes(MnistFile file) {
    return dev.tfmnist.testing.TestData.gzBytes(file);
  }

  static byte[] rawBytes(MnistFile file) {
    return dev.tfmnist.testing.TestData.rawBytes(file);
  }

  static byte[] gzip(byte[] data) {
    return dev.tfmnist.testing.TestData.gzip(data);
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
