package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs TrainMnist in its own JVM, because native log lines bypass System.err. */
class NativeLogProcessTest {

  record Output(int exitCode, String out, String err) {}

  static Output trainMnist(Path dir, String logLevel, String... extra)
      throws IOException, InterruptedException {
    var command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        TrainMnist.class.getName(),
        "--data-dir", TestData.mnistDir().toString(), "--steps", "1", "--progress", "none",
        "--export-dir", dir.resolve("export").toString()));
    command.addAll(List.of(extra));
    var builder = new ProcessBuilder(command)
        .redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile());
    builder.environment().remove(NativeLog.LEVEL_VARIABLE);
    if (logLevel != null) {
      builder.environment().put(NativeLog.LEVEL_VARIABLE, logLevel);
    }
    var process = builder.start();
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), "TrainMnist did not finish");
    return new Output(process.exitValue(),
        Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8),
        Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8));
  }

  @Test
  void tensorFlowsNativeLogIsQuietByDefault(@TempDir Path dir) throws Exception {
    var output = trainMnist(dir, null);
    assertEquals(0, output.exitCode(), output.err());
    assertEquals("", output.err(), "stderr should be empty");
    assertTrue(output.out().contains("final test accuracy"), output.out());
  }

  @Test
  void tfCppMinLogLevelBringsTheLogBack(@TempDir Path dir) throws Exception {
    var output = trainMnist(dir, "0");
    assertEquals(0, output.exitCode(), output.err());
    assertTrue(output.err().contains("tensorflow/"), "expected TensorFlow's log on stderr:\n" + output.err());
  }

  @Test
  void logPlacementShowsWhereEachOpRuns(@TempDir Path dir) throws Exception {
    var output = trainMnist(dir, null, "--log-placement", "--device", "cpu");
    assertEquals(0, output.exitCode(), output.err());
    assertTrue(output.err().contains("device:CPU:0"), "no placement lines:\n" + output.err());
    assertTrue(output.err().contains("h_conv1"), "no placement of h_conv1:\n" + output.err());
  }
}
