package dev.tfmnist.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistDatasetTest {
  private static MnistDataset data;
  private static LabeledImages rawTraining;

  @BeforeAll
  static void load() throws IOException {
    data = MnistDataset.load(TestData.realDir());
    rawTraining =
        IdxReader.read(TestData.real(MnistFile.TRAIN_IMAGES), TestData.real(MnistFile.TRAIN_LABELS));
  }

  @Test
  void splitsLikeTf1InputData() {
    assertEquals(55000, data.train().count());
    assertEquals(5000, data.validation().count());
    assertEquals(10000, data.test().count());
  }

  @Test
  void trainStartsAtTrainingImage5000AndValidationIsTheFirst5000() {
    assertSameImage(rawTraining, 5000, data.train(), 0);
    assertSameImage(rawTraining, 59999, data.train(), 54999);
    assertSameImage(rawTraining, 0, data.validation(), 0);
    assertSameImage(rawTraining, 4999, data.validation(), 4999);
    assertEquals(7, data.train().label(0)); // training label 5000
    assertEquals(5, data.validation().label(0)); // the famous first "5"
    assertEquals(7, data.test().label(0));
    assertEquals(6, data.test().label(9999));
  }

  @Test
  void pixelsAreFloatsInZeroToOne() {
    for (MnistSplit split : new MnistSplit[] {data.train(), data.validation(), data.test()}) {
      float[] images = new float[split.count() * MnistSplit.PIXELS];
      split.copyImages(0, split.count(), images);
      float min = Float.MAX_VALUE;
      float max = -Float.MAX_VALUE;
      for (float x : images) {
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      assertEquals(0f, min);
      assertEquals(1f, max); // 255 maps to exactly 1
    }
    // Training image 0 (validation 0) has a 3 at pixel 152 and a 255 at 161.
    assertEquals(3 / 255.0, data.validation().pixel(0, 152), 1e-7);
    assertEquals(1f, data.validation().pixel(0, 161));
  }

  @Test
  void scalesEveryByteValueLikeNumpyOnFloat32() {
    byte[] pixels = new byte[MnistImages.PIXELS];
    for (int k = 0; k < pixels.length; k++) {
      pixels[k] = (byte) k;
    }
    LabeledImages one = new LabeledImages(MnistImages.of(pixels), MnistLabels.of(new byte[] {3}));
    MnistSplit split = MnistSplit.of(one, 0, 1);
    float numpyFactor = (float) 0.00392156862745098; // float32(1.0 / 255.0)
    for (int k = 0; k < MnistImages.PIXELS; k++) {
      int p = k & 0xff;
      float x = split.pixel(0, k);
      assertEquals(p * numpyFactor, x, "pixel value " + p);
      assertTrue(Math.abs(x - p / 255.0) <= Math.ulp(1f), "pixel value " + p);
    }
  }

  @Test
  void oneHotLabelsMatchTheLabels() {
    MnistSplit test = data.test();
    float[] oneHot = new float[test.count() * MnistSplit.CLASSES];
    Arrays.fill(oneHot, Float.NaN); // must be overwritten completely
    test.fillOneHot(0, test.count(), oneHot);
    for (int i = 0; i < test.count(); i++) {
      float sum = 0;
      for (int c = 0; c < MnistSplit.CLASSES; c++) {
        float v = oneHot[i * MnistSplit.CLASSES + c];
        assertTrue(v == 0f || v == 1f, "item " + i + " class " + c + ": " + v);
        sum += v;
      }
      assertEquals(1f, sum);
      assertEquals(1f, oneHot[i * MnistSplit.CLASSES + test.label(i)]);
    }
    float[] tail = new float[3 * MnistSplit.CLASSES];
    test.fillOneHot(9997, 3, tail);
    assertArrayEquals(Arrays.copyOfRange(oneHot, 9997 * 10, 10000 * 10), tail);
  }

  @Test
  void fillBatchWritesTheRequestedItemsInOrder() {
    MnistSplit train = data.train();
    int[] indices = {54999, 0, 12345, 0};
    float[] xs = new float[indices.length * MnistSplit.PIXELS + 7]; // longer is allowed
    float[] ys = new float[indices.length * MnistSplit.CLASSES];
    Arrays.fill(xs, Float.NaN);
    Arrays.fill(ys, Float.NaN);
    train.fillBatch(indices, xs, ys);
    float[] image = new float[MnistSplit.PIXELS];
    for (int i = 0; i < indices.length; i++) {
      train.copyImages(indices[i], 1, image);
      assertArrayEquals(
          image,
          Arrays.copyOfRange(xs, i * MnistSplit.PIXELS, (i + 1) * MnistSplit.PIXELS),
          "batch item " + i);
      float[] expected = new float[MnistSplit.CLASSES];
      expected[train.label(indices[i])] = 1f;
      assertArrayEquals(
          expected,
          Arrays.copyOfRange(ys, i * MnistSplit.CLASSES, (i + 1) * MnistSplit.CLASSES),
          "batch label " + i);
    }
    assertTrue(Float.isNaN(xs[xs.length - 1]), "past the batch must be left alone");
  }

  @Test
  void fillBatchRefusesBadInputWithoutWriting() {
    MnistSplit test = data.test();
    float[] xs = new float[2 * MnistSplit.PIXELS];
    float[] ys = new float[2 * MnistSplit.CLASSES];
    assertThrows(
        IndexOutOfBoundsException.class, () -> test.fillBatch(new int[] {0, 10000}, xs, ys));
    assertTrue(Arrays.equals(new float[xs.length], xs), "nothing written");
    assertThrows(
        IllegalArgumentException.class,
        () -> test.fillBatch(new int[] {0, 1, 2}, xs, new float[3 * MnistSplit.CLASSES]));
    assertThrows(
        IllegalArgumentException.class, () -> test.fillBatch(new int[] {0, 1}, xs, new float[19]));
    assertThrows(
        IndexOutOfBoundsException.class, () -> test.copyImages(9999, 2, new float[2 * 784]));
  }

  @Test
  void splitsSyntheticDataAtTheValidationSize() {
    byte[] trainLabels = {0, 1, 2, 3, 4, 5, 6};
    LabeledImages training =
        new LabeledImages(MnistImages.of(TestData.pixels(7)), MnistLabels.of(trainLabels));
    LabeledImages test =
        new LabeledImages(MnistImages.of(TestData.pixels(3)), MnistLabels.of(new byte[] {9, 8, 7}));
    MnistDataset small = MnistDataset.of(training, test, 2);
    assertEquals(5, small.train().count());
    assertEquals(2, small.validation().count());
    assertEquals(3, small.test().count());
    assertEquals(2, small.train().label(0));
    assertEquals(1, small.validation().label(1));
    assertSameImage(training, 2, small.train(), 0);
    assertSameImage(training, 1, small.validation(), 1);
    assertEquals(0, MnistDataset.of(training, test, 0).validation().count());
    assertThrows(IllegalArgumentException.class, () -> MnistDataset.of(training, test, 7));
    assertThrows(IllegalArgumentException.class, () -> MnistDataset.of(training, test, -1));
  }

  @Test
  void loadNamesTheMissingFile(@TempDir Path dir) throws IOException {
    TestData.write(dir.resolve("train-images-idx3-ubyte.gz"), TestData.gzBytes(MnistFile.TRAIN_IMAGES));
    TestData.write(dir.resolve("train-labels-idx1-ubyte.gz"), TestData.gzBytes(MnistFile.TRAIN_LABELS));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> MnistDataset.load(dir));
    assertTrue(
        e.getMessage().contains("neither t10k-images-idx3-ubyte.gz nor t10k-images-idx3-ubyte"),
        e.getMessage());
  }

  @Test
  void loadReadsRawFilesAndValidatesThem(@TempDir Path dir) throws IOException {
    // A compatible dataset (think Fashion-MNIST) is not checksum-checked, only validated.
    TestData.write(dir.resolve("train-images-idx3-ubyte"), TestData.images(6));
    TestData.write(
        dir.resolve("train-labels-idx1-ubyte"), TestData.labels(new byte[] {1, 2, 3, 4, 5, 6}));
    TestData.write(dir.resolve("t10k-images-idx3-ubyte.gz"), TestData.gzip(TestData.images(2)));
    TestData.write(dir.resolve("t10k-labels-idx1-ubyte"), TestData.labels((byte) 0, (byte) 1));
    MnistDataset small = MnistDataset.load(dir, 1);
    assertEquals(5, small.train().count());
    assertEquals(2, small.train().label(0));
    assertEquals(2, small.test().count());

    TestData.write(dir.resolve("t10k-labels-idx1-ubyte"), TestData.labels((byte) 0));
    MnistFormatException e =
        assertThrows(MnistFormatException.class, () -> MnistDataset.load(dir, 1));
    assertTrue(
        e.getMessage().startsWith(dir.resolve("t10k-images-idx3-ubyte.gz") + ": 2 images but"));
  }

  private static void assertSameImage(
      LabeledImages raw, int rawIndex, MnistSplit split, int index) {
    for (int k = 0; k < MnistImages.PIXELS; k++) {
      assertEquals(
          raw.images().pixel(rawIndex, k) / 255.0,
          split.pixel(index, k),
          2e-7, // float32 rounding; a wrong image is off by far more
          "pixel " + k + " of item " + index + " vs raw " + rawIndex);
    }
    assertEquals(raw.labels().label(rawIndex), split.label(index));
  }
}
