package dev.tfmnist.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/** The checks a downloaded file must pass before it is put in place: its published SHA-256. */
final class Checksums {
  private Checksums() {}

  /** Fails with the sizes and sums (abbreviated) when {@code file} is not the one expected. */
  static void requireSha256(Path file, String expected) throws IOException {
    String actual = Sha256.of(file);
    if (!actual.equalsIgnoreCase(expected)) {
      throw new IOException(String.format(Locale.ROOT, "got %d bytes with sha256 %s, expected sha256 %s",
          Files.size(file), abbreviate(actual), abbreviate(expected)));
    }
  }

  /**
   * A mirror's .gz passes with the published .gz checksum, or when it decompresses to the
   * published content: what is verified is the data, not how it was compressed.
   */
  static void requireGzipOf(MnistFile expected, Path file) throws IOException {
    String actual = Sha256.of(file);
    if (actual.equalsIgnoreCase(expected.gzSha256())) {
      return;
    }
    String content;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      content = Sha256.of(in);
    } catch (IOException notGzip) {
      content = null;
    }
    if (!expected.rawSha256().equalsIgnoreCase(content)) {
      throw new IOException(String.format(Locale.ROOT,
          "got %d bytes with sha256 %s, expected sha256 %s (or gzip of content with sha256 %s)",
          Files.size(file), abbreviate(actual), abbreviate(expected.gzSha256()),
          abbreviate(expected.rawSha256())));
    }
  }

  private static String abbreviate(String sha) {
    return sha.substring(0, 12) + "...";
  }
}
