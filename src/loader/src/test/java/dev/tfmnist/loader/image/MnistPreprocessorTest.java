package dev.tfmnist.loader.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestModels;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MnistPreprocessorTest {

  /** A dark bar on light paper: what a photo of a "1" looks like. */
  private static GrayImage bar(int width, int height, int x0, int y0, int barW, int barH) {
    float[] pixels = new float[width * height];
    Arrays.fill(pixels, 0.9f);
    for (int y = y0; y < y0 + barH; y++) {
      for (int x = x0; x < x0 + barW; x++) {
        pixels[y * width + x] = 0.1f;
      }
    }
    return new GrayImage(width, height, pixels);
  }

  private static int[] boundingBox(float[] mnist) {
    int minX = 28;
    int minY = 28;
    int maxX = -1;
    int maxY = -1;
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        if (mnist[y * 28 + x] > 0) {
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
          minY = Math.min(minY, y);
          maxY = Math.max(maxY, y);
        }
      }
    }
    return new int[] {minX, minY, maxX - minX + 1, maxY - minY + 1};
  }

  @Test
  void darkInkOnLightPaperIsInvertedCroppedScaledToTwentyAndCentered() {
    GrayImage photo = bar(200, 150, 20, 10, 40, 100);  // far from the center
    assertTrue(MnistPreprocessor.isDarkOnLight(photo));
    float[] mnist = MnistPreprocessor.toMnist(photo);
    int[] box = boundingBox(mnist);
    assertEquals(20, box[3], "the longer side becomes 20");
    assertEquals(8, box[2], "the aspect ratio is kept: 40x100 -> 8x20");
    assertEquals(1f, mnist[14 * 28 + 14], "white ink at the center");
    assertEquals(0f, mnist[0], "black background");
    // center of mass as near pixel 14 as whole pixels allow: columns 11..18 (14.5), rows 5..24
    assertEquals(11, box[0]);
    assertEquals(5, box[1]);
  }

  @Test
  void aSmallDigitIsEnlarged() {
    float[] pixels = new float[30 * 30];
    for (int y = 12; y < 18; y++) {
      for (int x = 13; x < 16; x++) {
        pixels[y * 30 + x] = 1f;
      }
    }
    GrayImage small = new GrayImage(30, 30, pixels);
    assertFalse(MnistPreprocessor.isDarkOnLight(small));
    int[] box = boundingBox(MnistPreprocessor.toMnist(small));
    assertEquals(20, box[3]);
    assertEquals(10, box[2]);
  }

  @Test
  void blankAndFlatImagesHaveNoDigit() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> MnistPreprocessor.toMnist(new GrayImage(10, 10, new float[100])));
    assertEquals("no digit found: the image has no contrast", e.getMessage());
  }

  @Test
  void mnistTestImagesComeBackAsTheyWere() {
    int n = 1000;
    float[] images = TestModels.testImages(0, n);
    int identical = 0;
    double difference = 0;
    for (int i = 0; i < n; i++) {
      float[] original = Arrays.copyOfRange(images, i * 784, i * 784 + 784);
      float[] again = MnistPreprocessor.toMnist(new GrayImage(28, 28, original));
      identical += Arrays.equals(original, again) ? 1 : 0;
      for (int p = 0; p < 784; p++) {
        difference += Math.abs(original[p] - again[p]);
      }
    }
    System.out.printf("%d of %d MNIST test images unchanged by the preprocessing, mean absolute "
        + "difference %.3f per image%n", identical, n, difference / n);
    // MNIST's own centering rounds some half pixels the other way; the rest is unchanged.
    assertTrue(identical >= n * 0.7, identical + " of " + n + " unchanged");
    assertTrue(difference / n < 2, "mean difference " + difference / n);
  }
}
