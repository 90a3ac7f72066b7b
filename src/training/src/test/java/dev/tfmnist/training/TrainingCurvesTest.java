package dev.tfmnist.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
}
