package dev.tfmnist.cli;

import dev.tfmnist.training.Evaluation;
import dev.tfmnist.training.TrainingCurves;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** TrainMnist's curve as a PNG: this run's test accuracy beside the original program's. */
final class CurvePlot {
  static final int WIDTH = 900;
  static final int HEIGHT = 560;

  private CurvePlot() {}

  /** Test accuracy against step, this run's and the original's, as a PNG. */
  static void write(Path file, List<Evaluation> evaluations) throws IOException {
    XYChart chart = new XYChartBuilder()
        .width(WIDTH).height(HEIGHT)
        .title("MNIST CNN: test accuracy during training")
        .xAxisTitle("training step").yAxisTitle("test accuracy (10,000 images)")
        .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setYAxisDecimalPattern("0.00");

    var original = TrainingCurves.originalCurve();
    var originalSteps = new ArrayList<Double>();
    for (int i = 0; i < original.size(); i++) {
      originalSteps.add((double) i * TrainingCurves.ORIGINAL_EVAL_EVERY);
    }
    var seed = chart.addSeries("original TF1 program (Python)", originalSteps, original);
    seed.setLineColor(new Color(0x9E9E9E));
    seed.setMarkerColor(new Color(0x9E9E9E));
    seed.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f));
    seed.setMarker(SeriesMarkers.CIRCLE);

    if (!evaluations.isEmpty()) {
      var steps = evaluations.stream().map(e -> (double) e.step()).toList();
      var accuracy = evaluations.stream().map(Evaluation::accuracy).toList();
      var run = chart.addSeries("this run (TensorFlow Java)", steps, accuracy);
      run.setLineColor(new Color(0xE65100));
      run.setMarkerColor(new Color(0xE65100));
      run.setLineStyle(new BasicStroke(2.5f));
      run.setMarker(SeriesMarkers.DIAMOND);
    }
    Path temp = Files.createTempFile(TrainingCurves.parentOf(file), "." + file.getFileName(), ".tmp.png");
    try {
      BitmapEncoder.saveBitmap(chart, temp.toString(), BitmapEncoder.BitmapFormat.PNG);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
