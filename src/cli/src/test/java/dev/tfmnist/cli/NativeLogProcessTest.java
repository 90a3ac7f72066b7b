package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestData;
import dev.tfmnist.testing.UnregisteredOpModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the programs in JVMs of their own, because native log lines bypass System.err. */
class NativeLogProcessTest {

  record Output(int exitCode, String out, String err) {}

  static Output trainMnist(Path dir, String logLevel, String... extra)
      throws IOException, InterruptedException {
    var args = new ArrayList<>(List.of(
        "--data-dir", TestData.mnistDir().toString(), "--steps", "1", "--progress", "none",
        "--export-dir", dir.resolve("export").toString()));
    args.addAll(List.of(extra));
    return run(TrainMnist.class, dir, logLevel, args);
  }

  /** Runs {@code program}'s main in a JVM of its own, with TF_CPP_MIN_LOG_LEVEL as given. */
  static Output run(Class<?> program, Path dir, String logLevel, List<String> args)
      throws IOException, InterruptedException {
    var command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        program.getName()));
    command.addAll(args);
    var builder = new ProcessBuilder(command)
        .redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile());
    builder.environment().remove(NativeLog.LEVEL_VARIABLE);
    if (logLevel != null) {
      builder.environment().put(NativeLog.LEVEL_VARIABLE, logLevel);
    }
    var process = builder.start();
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), program.getSimpleName() + " did not finish");
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

  @ParameterizedTest
  @ValueSource(classes = {TrainMnist.class, PredictMnist.class, ServeMnist.class})
  void versionAndDeviceListPrintJustThat(Class<?> program, @TempDir Path dir) throws Exception {
    var version = run(program, dir, null, List.of("--version"));
    assertEquals(0, version.exitCode(), version.err());
    assertEquals("", version.err(), "stderr should be empty");
    assertEquals(List.of(program.getSimpleName() + " 0.1.0-SNAPSHOT",
        "TensorFlow Java 1.1.0, TensorFlow 2.18.0"), version.out().lines().toList());

    var devices = run(program, dir, null, List.of("--list-devices"));
    assertEquals(0, devices.exitCode(), devices.err());
    assertEquals("", devices.err(), "stderr should be empty");
    var lines = devices.out().lines().toList();
    assertEquals("Devices TensorFlow sees:", lines.get(0), devices.out());
    assertTrue(lines.get(lines.size() - 1).startsWith("Running on: "), devices.out());
  }

  @Test
  void anOpTensorFlowLacksEndsInTheProgramsOneLineOnly(@TempDir Path dir) throws Exception {
    // TensorFlow's MLIR bridge logs this model's unparsable function through absl, long after
    // the first session and whatever TF_CPP_MIN_LOG_LEVEL says
    var output = run(PredictMnist.class, dir, null,
        List.of("--model", UnregisteredOpModels.inFunction().toString()));
    assertEquals(1, output.exitCode(), output.err());
    // the CUDA build (-Pgpu) on a machine without a GPU also says so, in the program's own
    // device line on stderr; nothing else may come before the error
    var lines = output.err().lines()
        .filter(line -> !line.matches("Running on: .*; no GPU visible: .*"))
        .toList();
    assertEquals(1, lines.size(), "stderr should be the program's one line:\n" + output.err());
    assertTrue(lines.get(0).startsWith("PredictMnist: "), output.err());
    assertTrue(lines.get(0).contains("uses the op " + UnregisteredOpModels.OP + ","),
        output.err());
  }

  @Test
  void tfLogAndAUsersLogLevelLeaveStderrToTensorFlow(@TempDir Path dir) throws Exception {
    String model = UnregisteredOpModels.inFunction().toString();
    for (var output : List.of(
        run(PredictMnist.class, dir, null, List.of("--tf-log", "--model", model)),
        run(PredictMnist.class, dir, "3", List.of("--model", model)))) {
      assertEquals(1, output.exitCode(), output.err());
      assertTrue(output.err().contains("mlir_bridge_pass_util.cc"),
          "expected absl's line on stderr:\n" + output.err());
      var lines = output.err().lines().toList();
      assertTrue(lines.get(lines.size() - 1).startsWith("PredictMnist: "), output.err());
    }
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
