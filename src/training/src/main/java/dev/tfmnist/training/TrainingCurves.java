package dev.tfmnist.training;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/** The run's curve as a CSV, and the curve the original program printed. */
public final class TrainingCurves {
  /** The original program evaluated after every 50th step. */
  public static final int ORIGINAL_EVAL_EVERY = 50;

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

  /** The file's directory, created if need be: where its temporary file goes. */
  public static Path parentOf(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    return parent;
  }
}
