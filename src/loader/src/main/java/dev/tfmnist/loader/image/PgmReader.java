package dev.tfmnist.loader.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads Netpbm graymaps: P2 (ASCII) and P5 (binary, one byte per sample, or two big-endian bytes
 * when the maximum value exceeds 255), with {@code #} comments in the header. Java's ImageIO
 * reads no PGM, and the format is simple enough that a page of code reads all of it.
 *
 * <p>Samples are scaled by the maximum value to [0, 1]. Widths and heights up to 65536 and images
 * of up to 2<sup>26</sup> pixels are read. The methods are static and thread-safe.
 */
public final class PgmReader {
  private final String name;
  private final byte[] bytes;
  private int pos;

  private PgmReader(String name, byte[] bytes) {
    this.name = name;
    this.bytes = bytes;
  }

  /**
   * Whether {@code header} starts like a PGM file: {@code P2} or {@code P5}.
   *
   * @param header the first bytes of a file, or all of it
   * @return true for a PGM file
   */
  public static boolean isPgm(byte[] header) {
    return header.length >= 2 && header[0] == 'P' && (header[1] == '2' || header[1] == '5');
  }

  /**
   * Reads a PGM file.
   *
   * @param file the file
   * @return the image
   * @throws IOException if the file cannot be read or is not a valid PGM file; the message starts
   *     with the path
   */
  public static GrayImage read(Path file) throws IOException {
    return parse(file.toString(), Files.readAllBytes(file));
  }

  /**
   * Parses a whole PGM file; {@code name} goes into error messages.
   *
   * @param name what to call the file in error messages, e.g. its path
   * @param bytes the file's contents
   * @return the image
   * @throws IOException if {@code bytes} are not a valid PGM file (a bad header, too few samples, a
   *     sample above the maximum value); the message starts with {@code name}
   */
  public static GrayImage parse(String name, byte[] bytes) throws IOException {
    return new PgmReader(name, bytes).parse();
  }

  private GrayImage parse() throws IOException {
    if (!isPgm(bytes)) {
      throw error("not a PGM file: it does not start with P2 or P5");
    }
    boolean binary = bytes[1] == '5';
    pos = 2;
    int width = headerNumber("width", 1, 1 << 16);
    int height = headerNumber("height", 1, 1 << 16);
    int maxValue = headerNumber("maximum value", 1, 65535);
    long count = (long) width * height;
    if (count > 1 << 26) {
      throw error(width + "x" + height + " is too large an image");
    }
    float[] pixels = new float[(int) count];
    if (binary) {
      // exactly one whitespace byte separates the header from the samples
      if (pos >= bytes.length || !isSpace(bytes[pos])) {
        throw error("expected whitespace after the maximum value");
      }
      pos++;
      int sampleBytes = maxValue > 255 ? 2 : 1;
      long expected = count * sampleBytes;
      if (bytes.length - pos < expected) {
        throw error("expected " + count + " samples (" + expected + " bytes) for " + width + "x"
            + height + ", found " + (bytes.length - pos) + " bytes");
      }
      for (int i = 0; i < pixels.length; i++) {
        int sample = sampleBytes == 1
            ? Byte.toUnsignedInt(bytes[pos + i])
            : (Byte.toUnsignedInt(bytes[pos + 2 * i]) << 8) | Byte.toUnsignedInt(bytes[pos + 2 * i + 1]);
        pixels[i] = scaled(sample, maxValue, i);
      }
    } else {
      for (int i = 0; i < pixels.length; i++) {
        String token = token();
        if (token == null) {
          throw error("expected " + count + " samples for " + width + "x" + height + ", found " + i);
        }
        pixels[i] = scaled(parse(token, "sample " + i), maxValue, i);
      }
    }
    return new GrayImage(width, height, pixels);
  }

  private float scaled(int sample, int maxValue, int index) throws IOException {
    if (sample > maxValue) {
      throw error("sample " + index + " is " + sample + ", above the maximum value " + maxValue);
    }
    return sample / (float) maxValue;
  }

  private int headerNumber(String what, int min, int max) throws IOException {
    String token = token();
    if (token == null) {
      throw error("the header ends before the " + what);
    }
    int value = parse(token, what);
    if (value < min || value > max) {
      throw error(what + " is " + value + ", expected " + min + ".." + max);
    }
    return value;
  }

  private int parse(String token, String what) throws IOException {
    try {
      return Integer.parseInt(token);
    } catch (NumberFormatException e) {
      throw error(what + " is \"" + token + "\", expected a number");
    }
  }

  /** The next whitespace-separated token, skipping comments; null at the end. */
  private String token() {
    while (pos < bytes.length) {
      if (isSpace(bytes[pos])) {
        pos++;
      } else if (bytes[pos] == '#') {
        while (pos < bytes.length && bytes[pos] != '\n' && bytes[pos] != '\r') {
          pos++;
        }
      } else {
        break;
      }
    }
    if (pos >= bytes.length) {
      return null;
    }
    int start = pos;
    while (pos < bytes.length && !isSpace(bytes[pos]) && bytes[pos] != '#') {
      pos++;
    }
    return new String(bytes, start, Math.min(pos - start, 20), StandardCharsets.US_ASCII);
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
  }

  private IOException error(String problem) {
    return new IOException(name + ": " + problem);
  }
}
