package dev.tfmnist.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native memory stays flat: 100,000 batch-1 predictions on TrainMnist's export, from two threads,
 * in a JVM of their own whose heap is fixed and touched up front, so that any growth of the
 * resident set is native memory: tensors, results or runners the loader failed to free.
 */
class LoaderMemoryTest {
  private static final int WARM_UP = 5_000;
  private static final int PREDICTIONS = 100_000;
  private static final double ALLOWED_GROWTH = 0.05;

  @Test
  void residentSetStaysWithinFivePercentOverAHundredThousandPredictions(@TempDir Path dir)
      throws Exception {
    Path model = TestModels.tf1ModelVersion();
    var command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch",
        "-cp", System.getProperty("java.class.path"),
        RssProbe.class.getName(),
        model.toString(), Integer.toString(WARM_UP), Integer.toString(PREDICTIONS), "2");
    var builder = new ProcessBuilder(command)
        .redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile());
    builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "3");
    Process process = builder.start();
    boolean finished = process.waitFor(10, TimeUnit.MINUTES);
    if (!finished) {
      process.destroyForcibly();
    }
    String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
    String err = Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
    assertTrue(finished, "the probe did not finish: " + out + err);
    assertEquals(0, process.exitValue(), out + err);

    Map<String, Double> values = new HashMap<>();
    out.lines().map(line -> line.split(" ")).filter(parts -> parts.length == 2)
        .forEach(parts -> values.put(parts[0], Double.parseDouble(parts[1])));
    double warm = values.get("rss_warm_kb");
    double end = values.get("rss_end_kb");
    double growth = (end - warm) / warm;
    System.out.printf(Locale.ROOT, "RSS after %d warm-up predictions %.0f MB, after %d more "
        + "%.0f MB (%+.2f%%), %.0f us per prediction%n", WARM_UP, warm / 1024, PREDICTIONS,
        end / 1024, growth * 100, values.get("micros_per_prediction"));
    assertEquals(PREDICTIONS, values.get("predictions"));
    assertTrue(growth <= ALLOWED_GROWTH, String.format(Locale.ROOT,
        "RSS grew %.1f%%, from %.0f to %.0f kB", growth * 100, warm, end));
  }
}
