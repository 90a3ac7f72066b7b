package dev.tfmnist.data;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** The real MNIST files and builders of small synthetic IDX files. */
final class TestData {
  private TestData() {}

  private static Path realDir;

  /**
   * The directory with the four original .gz files: $MNIST_DIR when it has them, else
   * ../shared/mnist beside the project.
   */
  static synchronized Path realDir() {
    if (realDir != null) {
      return realDir;
    }
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv(DataDirectory.ENV_VAR);
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    candidates.add(Path.of(System.getProperty("user.dir")).resolve("../shared/mnist").normalize());
    for (Path dir : candidates) {
      boolean complete = true;
      for (MnistFile file : MnistFile.values()) {
        complete &= Files.isRegularFile(dir.resolve(file.gzName()));
      }
      if (complete) {
        return realDir = dir;
      }
    }
    return fail("the four MNIST .gz files are in none of " + candidates);
  }

  static Path gz(MnistFile file) {
    return realDir().resolve(file.gzName());
  }

  static byte[] gzBytes(MnistFile file) {
    try {
      return Files.readAllBytes(gz(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] rawBytes(MnistFile file) {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz(file)))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
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
