package dev.tfmnist.cli;

import dev.tfmnist.testing.TestData;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.io.FileUtils;
import org.apache.commons.io.file.PathUtils;

/**
 * A model TrainMnist trained and exported, for the programs' tests that compare what PredictMnist
 * or ServeMnist say with what TrainMnist said: made once per test JVM, by running TrainMnist.
 *
 * @param baseDir the export base directory, holding version 1
 * @param finalAccuracyLine TrainMnist's {@code final test accuracy 0.xxxx} line
 */
record TrainedExport(Path baseDir, Path versionDir, String finalAccuracyLine,
    double finalAccuracy) {
  /** Enough for ~95% test accuracy in half a minute on two cores. */
  static final int TRAINING_STEPS = 400;

  /**
   * For working on the tests: with {@code -Dtfmnist.test.model-cache=DIR} the trained export is
   * kept in DIR and reused by later runs. Unset (as in CI), every run trains afresh.
   */
  private static final String CACHE_PROPERTY = "tfmnist.test.model-cache";

  private static TrainedExport trained;

  static synchronized TrainedExport get() {
    if (trained == null) {
      trained = cached();
    }
    if (trained == null) {
      Path base = TestModels.workDir().resolve("trainmnist");
      var out = new StringWriter();
      var err = new StringWriter();
      int code = TrainMnist.run(new String[] {
          "--steps", Integer.toString(TRAINING_STEPS), "--eval-every", "100000",
          "--data-dir", TestData.mnistDir().toString(), "--export-dir", base.toString()},
          new PrintWriter(out, true), new PrintWriter(err, true));
      if (code != 0) {
        throw new IllegalStateException("TrainMnist failed (" + code + "): " + err);
      }
      Matcher m = Pattern.compile("final test accuracy (0\\.\\d{4})").matcher(out.toString());
      if (!m.find()) {
        throw new IllegalStateException("no final accuracy in TrainMnist's output:\n" + out);
      }
      trained = new TrainedExport(base, base.resolve("1"), m.group(0),
          Double.parseDouble(m.group(1)));
      saveToCache(trained);
    }
    return trained;
  }

  private static TrainedExport cached() {
    String cache = System.getProperty(CACHE_PROPERTY);
    if (cache == null || cache.isBlank()) {
      return null;
    }
    Path base = Path.of(cache).resolve("trainmnist-" + TRAINING_STEPS);
    Path accuracy = base.resolve("accuracy.txt");
    try {
      if (!Files.isRegularFile(accuracy)) {
        return null;
      }
      String line = Files.readString(accuracy).strip();
      return new TrainedExport(base, base.resolve("1"), line,
          Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void saveToCache(TrainedExport export) {
    String cache = System.getProperty(CACHE_PROPERTY);
    if (cache == null || cache.isBlank()) {
      return;
    }
    Path base = Path.of(cache).resolve("trainmnist-" + TRAINING_STEPS);
    try {
      FileUtils.deleteDirectory(base.toFile());  // a cache of another run, if any
      Files.createDirectories(base);
      PathUtils.copyDirectory(export.versionDir(), base.resolve("1"));
      Files.writeString(base.resolve("accuracy.txt"), export.finalAccuracyLine() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
