package dev.tfmnist.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST IDX files, gzip-compressed or not, and refuses anything that is not exactly what the
 * header announces.
 *
 * <p>Compression is recognised by the gzip magic bytes rather than the {@code .gz} extension,
 * because files get renamed and some tools decompress in place without renaming. Every problem is
 * reported as a one-line {@link MnistFormatException}: a truncated download or a wrong file should
 * say so at load time, not show up as a mysteriously bad accuracy after training.
 */
public final class IdxReader {
  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;
  private static final int IMAGES_HEADER = 16;
  private static final int LABELS_HEADER = 8;
  private static final int BUFFER = 1 << 16;

  private IdxReader() {}

  /** All images of an IDX3 file (magic 2051) of 28x28 images. */
  public static MnistImages readImages(Path file) throws IOException {
    try (Source source = Source.open(file)) {
      ByteBuffer header = source.header(IMAGES_HEADER, "image");
      checkMagic(file, header.getInt(), IMAGES_MAGIC, "image");
      int count = checkCount(file, header.getInt(), "image", MnistImages.PIXELS);
      int rows = header.getInt();
      int columns = header.getInt();
      if (rows != MnistImages.ROWS || columns != MnistImages.COLUMNS) {
        throw new MnistFormatException(
            file,
            format(
                "image size %dx%d, expected %dx%d",
                rows, columns, MnistImages.ROWS, MnistImages.COLUMNS));
      }
      byte[] pixels = source.body(IMAGES_HEADER, count * MnistImages.PIXELS, count, "images");
      return new MnistImages(pixels);
    }
  }

  /** All labels of an IDX1 file (magic 2049); each must be 0..9. */
  public static MnistLabels readLabels(Path file) throws IOException {
    try (Source source = Source.open(file)) {
      ByteBuffer header = source.header(LABELS_HEADER, "label");
      checkMagic(file, header.getInt(), LABELS_MAGIC, "label");
      int count = checkCount(file, header.getInt(), "label", 1);
      byte[] labels = source.body(LABELS_HEADER, count, count, "labels");
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] < 0 || labels[i] >= MnistLabels.CLASSES) {
          throw new MnistFormatException(
              file,
              format(
                  "label %d at index %d, expected 0..%d",
                  Byte.toUnsignedInt(labels[i]), i, MnistLabels.CLASSES - 1));
        }
      }
      return new MnistLabels(labels);
    }
  }

  /** An images file and its labels file, which must hold the same number of items. */
  public static LabeledImages read(Path images, Path labels) throws IOException {
    MnistImages readImages = readImages(images);
    MnistLabels readLabels = readLabels(labels);
    if (readImages.count() != readLabels.count()) {
      throw new MnistFormatException(
          images,
          format(
              "%d images but %s has %d labels, expected the same count in both files",
              readImages.count(), labels, readLabels.count()));
    }
    return new LabeledImages(readImages, readLabels);
  }

  /**
   * The content of a file as an IDX reader sees it: decompressed when it is gzip (recognised by
   * its magic bytes), as stored otherwise. Nothing in it is checked.
   */
  public static byte[] readAllBytes(Path file) throws IOException {
    try (Source source = Source.open(file)) {
      return source.in.readAllBytes();
    } catch (ZipException | EOFException e) {
      throw corruptGzip(file, e);
    }
  }

  private static void checkMagic(Path file, int magic, int expected, String kind)
      throws MnistFormatException {
    if (magic == expected) {
      return;
    }
    // Passing the labels file where the images belong (or the reverse) is the likely mistake.
    String hint =
        magic == IMAGES_MAGIC
            ? " (an image file?)"
            : magic == LABELS_MAGIC ? " (a label file?)" : "";
    throw new MnistFormatException(
        file,
        format(
            "magic number %d (0x%08x)%s, expected %d (0x%08x) for an IDX %s file",
            magic, magic, hint, expected, expected, kind));
  }

  private static int checkCount(Path file, int count, String kind, int bytesPerItem)
      throws MnistFormatException {
    if (count < 0) {
      throw new MnistFormatException(
          file, format("negative %s count %d in the header, expected 0 or more", kind, count));
    }
    // The body must fit one Java array; real IDX files are far below that.
    if (count > Integer.MAX_VALUE / bytesPerItem) {
      throw new MnistFormatException(
          file,
          format(
              "%s count %d in the header, expected at most %d",
              kind, count, Integer.MAX_VALUE / bytesPerItem));
    }
    return count;
  }

  /** The decompressed byte stream of one file, with the checks that need to know its origin. */
  private static final class Source implements AutoCloseable {
    private final Path file;
    private final InputStream in;
    private final boolean gzip;

    private Source(Path file, InputStream in, boolean gzip) {
      this.file = file;
      this.in = in;
      this.gzip = gzip;
    }

    static Source open(Path file) throws IOException {
      InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
      try {
        raw.mark(2);
        boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        if (!gzip) {
          return new Source(file, raw, false);
        }
        try {
          return new Source(file, new GZIPInputStream(raw, BUFFER), true);
        } catch (ZipException | EOFException e) {
          throw corruptGzip(file, e);
        }
      } catch (IOException | RuntimeException e) {
        raw.close();
        throw e;
      }
    }

    ByteBuffer header(int length, String kind) throws IOException {
      byte[] header = readNBytes(length);
      if (header.length < length) {
        String found =
            header.length == 0
                ? "empty " + what()
                : format(
                    "%s of %d %s", what(), header.length, header.length == 1 ? "byte" : "bytes");
        throw new MnistFormatException(
            file, format("%s, expected at least the %d-byte IDX %s header", found, length, kind));
      }
      return ByteBuffer.wrap(header); // big-endian, as IDX is
    }

    /**
     * Reads exactly {@code length} bytes after the header and then insists on end of data: both a
     * short and an overlong file mean it is not the file its header describes.
     */
    byte[] body(int headerLength, int length, int count, String items) throws IOException {
      long expectedTotal = (long) headerLength + length;
      byte[] body;
      if (gzip) {
        // readNBytes(int) grows its buffer as data arrives, so a corrupt count in a small
        // compressed file cannot make us allocate gigabytes up front.
        body = readNBytes(length);
      } else {
        // A raw file's size is known up front, which spares reading a file that cannot be right
        // and makes the exact allocation safe.
        long size = Files.size(file);
        if (size < expectedTotal) {
          throw truncated(size - headerLength, length, count, items);
        }
        if (size > expectedTotal) {
          throw trailing(size - expectedTotal, count, items, expectedTotal);
        }
        body = new byte[length];
        int read = in.readNBytes(body, 0, length);
        if (read < length) { // the file shrank since we measured it
          body = Arrays.copyOf(body, read);
        }
      }
      if (body.length < length) {
        throw truncated(body.length, length, count, items);
      }
      long extra;
      try {
        extra = in.transferTo(OutputStream.nullOutputStream());
      } catch (ZipException | EOFException e) {
        throw corruptGzip(file, e);
      }
      if (extra > 0) {
        throw trailing(extra, count, items, expectedTotal);
      }
      return body;
    }

    private byte[] readNBytes(int length) throws IOException {
      try {
        return in.readNBytes(length);
      } catch (ZipException | EOFException e) {
        throw corruptGzip(file, e);
      }
    }

    private MnistFormatException truncated(long found, int expected, int count, String items) {
      return new MnistFormatException(
          file,
          format(
              "truncated: %d bytes of %s after the header, expected %d for the %d %s it declares",
              found, items, expected, count, items));
    }

    private MnistFormatException trailing(long extra, int count, String items, long total) {
      return new MnistFormatException(
          file,
          format(
              "%d trailing %s after the %d %s the header declares, expected the %s to end at byte"
                  + " %d",
              extra, extra == 1 ? "byte" : "bytes", count, items, what(), total));
    }

    private String what() {
      return gzip ? "decompressed data" : "file";
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Messages must not vary with the user's locale: digits and all are plain ASCII. */
  private static String format(String template, Object... args) {
    return String.format(Locale.ROOT, template, args);
  }

  private static MnistFormatException corruptGzip(Path file, IOException cause) {
    MnistFormatException e =
        new MnistFormatException(
            file,
            "corrupt gzip data (" + cause.getMessage() + "), expected a complete gzip stream");
    e.initCause(cause);
    return e;
  }
}
