package dev.tfmnist.server.http;

import dev.tfmnist.loader.image.ImageFiles;
import dev.tfmnist.loader.image.MnistPreprocessor;
import dev.tfmnist.loader.image.PgmReader;
import dev.tfmnist.server.ServingException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * A picture of a digit sent to the page's endpoint (a drawing as PNG, or an uploaded file) made
 * into the 28x28 image a model receives, by the loader's own steps, as PredictMnist makes image
 * files: {@link ImageFiles#decode} then {@link MnistPreprocessor#toMnist}. Before anything is
 * decoded, the image's size is read from its header and an image of more than {@link #MAX_PIXELS}
 * is refused, so that a small file claiming a huge image cannot take the server's memory; and at
 * most one image per core is decoded at a time (decoding is all CPU), which bounds the memory of
 * many large images at once. Every failure is an INVALID_ARGUMENT of one line.
 */
final class DigitImages {
  /** The largest image decoded: 16.8 megapixels, 4096x4096, more than a phone camera's photo. */
  static final long MAX_PIXELS = 4096L * 4096;
  private static final Semaphore DECODING =
      new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()));

  private DigitImages() {}

  /**
   * The 784 pixels the model receives for a picture of a digit.
   *
   * @param bytes a PNG, JPEG, GIF, BMP or PGM file's contents
   * @return 784 intensities in [0, 1], row-major, white digit on black
   * @throws ServingException INVALID_ARGUMENT, one line: an empty file, no image, an image over
   *     {@link #MAX_PIXELS}, a damaged one, or one with no digit in it
   */
  static float[] toMnist(byte[] bytes) {
    if (bytes.length == 0) {
      throw ServingException.invalidArgument("the image is empty (0 bytes)");
    }
    long[] size = size(bytes);
    if (size != null && size[0] * size[1] > MAX_PIXELS) {
      throw ServingException.invalidArgument(String.format(Locale.ROOT,
          "the image is %dx%d pixels (%.1f megapixels), over the limit of %.1f megapixels",
          size[0], size[1], size[0] * size[1] / 1e6, MAX_PIXELS / 1e6));
    }
    try {
      DECODING.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServingException(ServingException.Code.UNAVAILABLE,
          "interrupted while waiting to decode the image");
    }
    try {
      return MnistPreprocessor.toMnist(ImageFiles.decode("the file", bytes));
    } catch (IOException | IllegalArgumentException e) {
      throw ServingException.invalidArgument(e.getMessage());
    } finally {
      DECODING.release();
    }
  }

  /**
   * Width and height from the file's header, without decoding its pixels; null for a PGM header
   * that does not parse (the PGM reader then says what is wrong, before it allocates anything).
   */
  private static long[] size(byte[] bytes) {
    if (PgmReader.isPgm(bytes)) {
      return pgmSize(bytes);
    }
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      var readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw ServingException.invalidArgument(
            "the image is not a PNG, JPEG, GIF, BMP or PGM file");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        return new long[] {reader.getWidth(0), reader.getHeight(0)};
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ServingException serving) {
        throw serving;
      }
      throw ServingException.invalidArgument("the image: unreadable header ("
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
    }
  }

  /** A PGM header's width and height: P2 or P5, whitespace, # comments; null when malformed. */
  private static long[] pgmSize(byte[] bytes) {
    long[] size = new long[2];
    int pos = 2;
    for (int i = 0; i < 2; i++) {
      while (pos < bytes.length && (Character.isWhitespace(bytes[pos]) || bytes[pos] == '#')) {
        if (bytes[pos] == '#') {
          while (pos < bytes.length && bytes[pos] != '\n' && bytes[pos] != '\r') {
            pos++;
          }
        } else {
          pos++;
        }
      }
      int start = pos;
      while (pos < bytes.length && pos - start < 10 && bytes[pos] >= '0' && bytes[pos] <= '9') {
        pos++;
      }
      if (pos == start) {
        return null;
      }
      size[i] = Long.parseLong(new String(bytes, start, pos - start, StandardCharsets.US_ASCII));
    }
    return size;
  }
}
