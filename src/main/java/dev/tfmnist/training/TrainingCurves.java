package dev.tfmnist.training;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The run's curve as a CSV and as a PNG plot beside the original program's curve. */
public final class TrainingCurves {
  public static final int PLOT_WIDTH = 900;
  public static final int PLOT_HEIGHT = 560;
  /** The original program evaluated after every 50th step. */
  private static final int ORIGINAL_EVAL_EVERY = 50;

  private TrainingCurves() {}

  /** {@code step,loss,test_accuracy,elapsed_seconds}, one row per evaluation. */
  public static void writeCsv(Path file, List<Evaluation> evaluations) throws IOException {
    var csv = new StringBuilder("step,loss,test_accuracy,elapsed_seconds\n");
    for (var e : evaluations) {
      csv.append(String.format(Locale.ROOT, "%d,%s,%.4f,%.3f%n",
          e.step(), Float.toString(e.loss()), e.accuracy(), e.elapsedSeconds()));
    }
    writeAtomically(file, csv.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Test accuracy against step, this run's and the original's, as a PNG. */
  public static void writePlot(Path file, List<Evaluation> evaluations) throws IOException {
    XYChart chart = new XYChartBuilder()
        .width(PLOT_WIDTH).height(PLOT_HEIGHT)
        .title("MNIST CNN: test accuracy during training")
        .xAxisTitle("training step").yAxisTitle("test accuracy (10,000 images)")
        .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setYAxisDecimalPattern("0.00");

    var original = originalCurve();
    var originalSteps = new ArrayList<Double>();
    for (int i = 0; i < original.size(); i++) {
      originalSteps.add((double) i * ORIGINAL_EVAL_EVERY);
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
    Path temp = Files.createTempFile(parentOf(file), "." + file.getFileName(), ".tmp.png");
    try {
      BitmapEncoder.saveBitmap(chart, temp.toString(), BitmapEncoder.BitmapFormat.PNG);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** The 20 accuracies the original program printed (shared/seed/seed_output.txt). */
  public static List<Double> originalCurve() {
    var stream = TrainingCurves.class.getResourceAsStream("original_curve.txt");
    if (stream == null) {
      throw new IllegalStateException("original_curve.txt missing from the classpath");
    }
    try (var reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
      return reader.lines().map(String::strip)
          .filter(line -> !line.isEmpty() && !line.startsWith("#"))
          .map(Double::valueOf).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeAtomically(Path file, byte[] content) throws IOException {
    Path temp = Files.createTempFile(parentOf(file), "." + file.getFileName(), ".tmp");
    try {
      Files.write(temp, content);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static Path parentOf(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    return parent;
  }
}
