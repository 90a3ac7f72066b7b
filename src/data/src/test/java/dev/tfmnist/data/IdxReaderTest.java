package dev.tfmnist.data;

import static dev.tfmnist.data.TestData.gzip;
import static dev.tfmnist.data.TestData.images;
import static dev.tfmnist.data.TestData.labels;
import static dev.tfmnist.data.TestData.pixels;
import static dev.tfmnist.data.TestData.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  @TempDir Path dir;

  // ---- the real files ----

  @Test
  void readsRealCompressedFiles() throws IOException {
    MnistImages train = IdxReader.readImages(TestData.real(MnistFile.TRAIN_IMAGES));
    assertEquals(60000, train.count());
    // Spot checks of the first image (a 5), taken from the decompressed file with another tool.
    assertEquals(0, train.pixel(0, 151));
    assertEquals(3, train.pixel(0, 152));
    assertEquals(18, train.pixel(0, 153));
    assertEquals(255, train.pixel(0, 161));
    assertEquals(27525, sum(train, 0));
    assertEquals(30871, sum(train, 5000));
    assertEquals(20920, sum(train, 59999));

    MnistLabels trainLabels = IdxReader.readLabels(TestData.real(MnistFile.TRAIN_LABELS));
    assertEquals(60000, trainLabels.count());
    assertArrayEquals(new int[] {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, first(trainLabels, 10));
    assertEquals(8, trainLabels.label(59999));
    int[] histogram = new int[10];
    for (int i = 0; i < trainLabels.count(); i++) {
      histogram[trainLabels.label(i)]++;
    }
    assertArrayEquals(
        new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, histogram);

    LabeledImages test =
        IdxReader.read(TestData.real(MnistFile.TEST_IMAGES), TestData.real(MnistFile.TEST_LABELS));
    assertEquals(10000, test.count());
    assertArrayEquals(new int[] {7, 2, 1, 0, 4}, first(test.labels(), 5));
    assertEquals(6, test.labels().label(9999));
    assertEquals(84, test.images().pixel(0, 202));
    assertEquals(185, test.images().pixel(0, 203));
    assertEquals(18454, sum(test.images(), 0));
    assertEquals(41833, sum(test.images(), 9999));
  }

  @Test
  void readsRealUncompressedFilesWithTheSameContent() throws IOException {
    for (MnistFile file : MnistFile.values()) {
      Path raw = write(dir.resolve(file.rawName()), TestData.rawBytes(file));
      assertEquals(file.rawSha256(), Sha256.of(raw), file.rawName());
    }
    MnistImages rawImages = IdxReader.readImages(dir.resolve("train-images-idx3-ubyte"));
    assertEquals(IdxReader.readImages(TestData.real(MnistFile.TRAIN_IMAGES)), rawImages);
    assertEquals(3, rawImages.pixel(0, 152));

    LabeledImages rawTest =
        IdxReader.read(
            dir.resolve("t10k-images-idx3-ubyte"), dir.resolve("t10k-labels-idx1-ubyte"));
    LabeledImages realTest =
        IdxReader.read(TestData.real(MnistFile.TEST_IMAGES), TestData.real(MnistFile.TEST_LABELS));
    assertEquals(realTest, rawTest);
    assertEquals(
        IdxReader.readLabels(TestData.real(MnistFile.TRAIN_LABELS)),
        IdxReader.readLabels(dir.resolve("train-labels-idx1-ubyte")));
  }

  @Test
  void detectsCompressionByContentNotByName() throws IOException {
    Path gzipWithoutExtension = dir.resolve("labels.idx");
    write(gzipWithoutExtension, TestData.gzBytes(MnistFile.TEST_LABELS));
    assertEquals(7, IdxReader.readLabels(gzipWithoutExtension).label(0));

    Path rawWithExtension = write(dir.resolve("images.gz"), images(3));
    MnistImages images = IdxReader.readImages(rawWithExtension);
    assertEquals(3, images.count());
    assertEquals((2 * 7 + 5) % 256, images.pixel(2, 5));
  }

  @Test
  void readsSyntheticFilesOfBothKinds() throws IOException {
    Path raw = write(dir.resolve("i"), images(4));
    Path gz = write(dir.resolve("i.gz"), gzip(images(4)));
    assertEquals(MnistImages.of(pixels(4)), IdxReader.readImages(raw));
    assertEquals(MnistImages.of(pixels(4)), IdxReader.readImages(gz));
    Path noImages = write(dir.resolve("none"), images(0));
    assertEquals(0, IdxReader.readImages(noImages).count());
    Path labels = write(dir.resolve("l.gz"), gzip(labels((byte) 0, (byte) 9, (byte) 3)));
    assertEquals(MnistLabels.of(new byte[] {0, 9, 3}), IdxReader.readLabels(labels));
  }

  // ---- what must be refused ----

  @Test
  void refusesWrongMagic() {
    Path file = write(dir.resolve("bad-magic-idx3-ubyte"), images(2049, 1, 28, 28, pixels(1)));
    assertMessage(
        file,
        "magic number 2049 (0x00000801) (a label file?), expected 2051 (0x00000803) for an IDX"
            + " image file",
        () -> IdxReader.readImages(file));

    Path labels = write(dir.resolve("labels.gz"), gzip(labels(0x12345678, 1, new byte[] {1})));
    assertMessage(
        labels,
        "magic number 305419896 (0x12345678), expected 2049 (0x00000801) for an IDX label file",
        () -> IdxReader.readLabels(labels));
  }

  @Test
  void refusesImagesThatAreNot28By28() {
    Path file = write(dir.resolve("wide"), images(2051, 1, 28, 32, new byte[28 * 32]));
    assertMessage(file, "image size 28x32, expected 28x28", () -> IdxReader.readImages(file));
    Path gz = write(dir.resolve("small.gz"), gzip(images(2051, 1, 8, 8, new byte[64])));
    assertMessage(gz, "image size 8x8, expected 28x28", () -> IdxReader.readImages(gz));
  }

  @Test
  void refusesTruncatedFiles() {
    byte[] threeDeclaredTwoPresent = images(2051, 3, 28, 28, pixels(2));
    String expected =
        "truncated: 1568 bytes of images after the header, expected 2352 for the 3 images it"
            + " declares";
    Path raw = write(dir.resolve("short"), threeDeclaredTwoPresent);
    assertMessage(raw, expected, () -> IdxReader.readImages(raw));
    Path gz = write(dir.resolve("short.gz"), gzip(threeDeclaredTwoPresent));
    assertMessage(gz, expected, () -> IdxReader.readImages(gz));

    Path labels = write(dir.resolve("short-labels"), labels(2049, 5, new byte[] {1, 2}));
    assertMessage(
        labels,
        "truncated: 2 bytes of labels after the header, expected 5 for the 5 labels it declares",
        () -> IdxReader.readLabels(labels));
  }

  @Test
  void refusesCutGzipStream() {
    byte[] gz = gzip(images(5));
    Path file = write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
    MnistFormatException e =
        assertThrows(MnistFormatException.class, () -> IdxReader.readImages(file));
    assertTrue(e.getMessage().startsWith(file + ": corrupt gzip data ("), e.getMessage());
    assertTrue(e.getMessage().endsWith("expected a complete gzip stream"), e.getMessage());
  }

  @Test
  void refusesTrailingBytes() {
    byte[] withExtra = Arrays.copyOf(images(2), images(2).length + 5);
    Path raw = write(dir.resolve("long"), withExtra);
    assertMessage(
        raw,
        "5 trailing bytes after the 2 images the header declares, expected the file to end at"
            + " byte 1584",
        () -> IdxReader.readImages(raw));
    Path gz = write(dir.resolve("long.gz"), gzip(withExtra));
    assertMessage(
        gz,
        "5 trailing bytes after the 2 images the header declares, expected the decompressed data"
            + " to end at byte 1584",
        () -> IdxReader.readImages(gz));

    Path labels = write(dir.resolve("long-labels"), labels(2049, 1, new byte[] {3, 4}));
    assertMessage(
        labels,
        "1 trailing byte after the 1 labels the header declares, expected the file to end at"
            + " byte 9",
        () -> IdxReader.readLabels(labels));
  }

  @Test
  void refusesLabelsOutsideZeroToNine() {
    Path file =
        write(
            dir.resolve("t10k-labels-idx1-ubyte.gz"),
            gzip(labels((byte) 0, (byte) 9, (byte) 4, (byte) 10, (byte) 1)));
    MnistFormatException e =
        assertThrows(MnistFormatException.class, () -> IdxReader.readLabels(file));
    assertEquals(file + ": label 10 at index 3, expected 0..9", e.getMessage());
    assertEquals(file.toString(), e.file());

    Path unsigned = write(dir.resolve("ff"), labels((byte) 0xff));
    assertMessage(
        unsigned, "label 255 at index 0, expected 0..9", () -> IdxReader.readLabels(unsigned));
  }

  @Test
  void refusesCountMismatchNamingBothFiles() {
    Path images = write(dir.resolve("imgs.gz"), gzip(images(3)));
    Path labels = write(dir.resolve("lbls"), labels((byte) 1, (byte) 2));
    MnistFormatException e =
        assertThrows(MnistFormatException.class, () -> IdxReader.read(images, labels));
    assertEquals(
        images
            + ": 3 images but "
            + labels
            + " has 2 labels, expected the same count in both files",
        e.getMessage());
  }

  @Test
  void refusesEmptyAndShortFiles() {
    Path empty = write(dir.resolve("empty"), new byte[0]);
    assertMessage(
        empty,
        "empty file, expected at least the 16-byte IDX image header",
        () -> IdxReader.readImages(empty));
    assertMessage(
        empty,
        "empty file, expected at least the 8-byte IDX label header",
        () -> IdxReader.readLabels(empty));

    Path emptyGz = write(dir.resolve("empty.gz"), gzip(new byte[0]));
    assertMessage(
        emptyGz,
        "empty decompressed data, expected at least the 16-byte IDX image header",
        () -> IdxReader.readImages(emptyGz));

    Path seven = write(dir.resolve("seven"), Arrays.copyOf(images(1), 7));
    assertMessage(
        seven,
        "file of 7 bytes, expected at least the 16-byte IDX image header",
        () -> IdxReader.readImages(seven));
    Path one = write(dir.resolve("one"), new byte[] {0x1f});
    assertMessage(
        one,
        "file of 1 byte, expected at least the 8-byte IDX label header",
        () -> IdxReader.readLabels(one));
  }

  @Test
  void refusesImpossibleCounts() {
    Path negative = write(dir.resolve("neg"), images(2051, -1, 28, 28, new byte[0]));
    assertMessage(
        negative,
        "negative image count -1 in the header, expected 0 or more",
        () -> IdxReader.readImages(negative));
    Path huge = write(dir.resolve("huge"), images(2051, 3_000_000, 28, 28, new byte[0]));
    assertMessage(
        huge,
        "image count 3000000 in the header, expected at most 2739137",
        () -> IdxReader.readImages(huge));
    // A large but representable count in a tiny compressed file is reported, not allocated.
    Path gz = write(dir.resolve("big.gz"), gzip(images(2051, 2_000_000, 28, 28, pixels(1))));
    assertMessage(
        gz,
        "truncated: 784 bytes of images after the header, expected 1568000000 for the 2000000"
            + " images it declares",
        () -> IdxReader.readImages(gz));
  }

  @Test
  void missingFileIsNotAFormatError() {
    Path missing = dir.resolve("nope.gz");
    IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(missing));
    assertTrue(e instanceof java.nio.file.NoSuchFileException, e.toString());
  }

  private static void assertMessage(Path file, String problem, Executable read) {
    MnistFormatException e = assertThrows(MnistFormatException.class, read);
    assertEquals(file + ": " + problem, e.getMessage());
  }

  private static int sum(MnistImages images, int image) {
    int sum = 0;
    for (int k = 0; k < MnistImages.PIXELS; k++) {
      sum += images.pixel(image, k);
    }
    return sum;
  }

  private static int[] first(MnistLabels labels, int n) {
    int[] first = new int[n];
    for (int i = 0; i < n; i++) {
      first[i] = labels.label(i);
    }
    return first;
  }
}
