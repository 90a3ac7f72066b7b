package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.training.Evaluation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurvePlotTest {
  private static final List<Evaluation> RUN = List.of(
      new Evaluation(0, 12.5f, 0.0939, 4.9),
      new Evaluation(50, 1.95f, 0.7882, 13.5),
      new Evaluation(100, 0.87f, 0.8711, 21.2));

  @Test
  void plotIsARealPngWithBothCurves(@TempDir Path dir) throws IOException {
    Path png = dir.resolve("curve.png");
    CurvePlot.write(png, RUN);
    var image = ImageIO.read(png.toFile());
    assertEquals(CurvePlot.WIDTH, image.getWidth());
    assertEquals(CurvePlot.HEIGHT, image.getHeight());
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
