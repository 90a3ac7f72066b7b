package dev.tfmnist.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCurvesTest {
  private static final List<Evaluation> RUN = List.of(
      new Evaluation(0, 12.5f, 0.0939, 4.9),
      new Evaluation(50, 1.95f, 0.7882, 13.5),
      new Evaluation(100, 0.87f, 0.8711, 21.2));

  @Test
  void originalCurveIsTheSeedProgramsTwentyNumbers() {
    var curve = TrainingCurves.originalCurve();
    assertEquals(20, curve.size());
    assertEquals(0.1546, curve.get(0));
    assertEquals(0.9665, curve.get(19));
  }

  @Test
  void csvHasOneRowPerEvaluation(@TempDir Path dir) throws IOException {
    Path csv = dir.resolve("curve.csv");
    TrainingCurves.writeCsv(csv, RUN);
    assertEquals(List.of(
        "step,loss,test_accuracy,elapsed_seconds",
        "0,12.5,0.0939,4.900",
        "50,1.95,0.7882,13.500",
        "100,0.87,0.8711,21.200"), Files.readAllLines(csv));
  }

  @Test
  void plotIsARealPngWithBothCurves(@TempDir Path dir) throws IOException {
    Path png = dir.resolve("curve.png");
    TrainingCurves.writePlot(png, RUN);
    var image = ImageIO.read(png.toFile());
    assertEquals(TrainingCurves.PLOT_WIDTH, image.getWidth());
    assertEquals(TrainingCurves.PLOT_HEIGHT, image.getHeight());
    int runColour = 0;
    int originalColour = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        runColour += rgb == 0xE65100 ? 1 : 0;
        originalColour += rgb == 0x9E9E9E ? 1 : 0;
      }
    }
    assertTrue(runColour > 200, "this run's curve is not drawn: " + runColour + " pixels");
    assertTrue(originalColour > 200, "the original's curve is not drawn: " + originalColour + " pixels");
    try (var files = Files.list(dir)) {
      assertEquals(List.of(png), files.toList(), "temporary files left behind");
    }
  }
}
