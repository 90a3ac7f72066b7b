package dev.tfmnist.cli;

import static dev.tfmnist.cli.CliRun.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.device.DevicePlan;
import dev.tfmnist.device.Precision;
import dev.tfmnist.testing.TestData;
import dev.tfmnist.testing.TestModels;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --precision mixed_bfloat16}: what the programs say and what they compute. On a CPU with
 * bfloat16 instructions the rewrite must really run (the numbers differ from float32's, within a
 * tolerance); on one without, oneDNN skips it, the line says so and the numbers are float32's.
 */
class PrecisionCliTest {
  private static final Pattern FINAL = Pattern.compile("final test accuracy (\\d\\.\\d{4})");
  private static final Pattern TEST = Pattern.compile("test accuracy (\\d\\.\\d{4})");

  /** "CPU build" or "GPU build": CI runs these tests on both. */
  private static final String BUILD = (DevicePlan.gpuBuild() ? "GPU" : "CPU") + " build";

  private static final boolean CPU_COMPUTES_BFLOAT16 =
      Precision.cpuBfloat16Flags().map(flags -> !flags.isEmpty()).orElse(false);

  private static double accuracy(Pattern pattern, CliRun run) {
    var matcher = pattern.matcher(run.out());
    assertTrue(matcher.find(), run.out());
    return Double.parseDouble(matcher.group(1));
  }

  private static List<String> evaluationLines(CliRun run) {
    return run.out().lines().filter(line -> line.startsWith("step "))
        .map(line -> line.replaceAll("\\s+[0-9.]+ s$", "")).toList();
  }

  @Test
  void trainingInMixedBfloat16StaysInFloat32sBandAndExportsAFloat32Model(@TempDir Path dir) {
    String[] common = {"--data-dir", TestData.mnistDir().toString(), "--steps", "150",
        "--eval-every", "50", "--progress", "none", "--device", "cpu"};
    var float32 = TrainMnistCliTest.run(concat(common, "--export-dir", dir.resolve("f32").toString()));
    var bfloat16 = TrainMnistCliTest.run(concat(common, "--export-dir", dir.resolve("bf16").toString(),
        "--precision", "mixed_bfloat16"));
    assertEquals(0, float32.exitCode(), float32.err());
    assertEquals(0, bfloat16.exitCode(), bfloat16.err());
    assertTrue(float32.out().contains(BUILD + ", float32)"), float32.out());

    double f32 = accuracy(FINAL, float32);
    double bf16 = accuracy(FINAL, bfloat16);
    assertTrue(Math.abs(f32 - bf16) <= 0.01, "float32 " + f32 + " against mixed_bfloat16 " + bf16);
    if (CPU_COMPUTES_BFLOAT16) {
      assertTrue(bfloat16.out().contains(BUILD + ", mixed_bfloat16 (avx512_bf16")
          || bfloat16.out().contains(BUILD + ", mixed_bfloat16 (amx_bf16"), bfloat16.out());
      assertNotEquals(evaluationLines(float32), evaluationLines(bfloat16),
          "the rewrite ran: bfloat16 arithmetic rounds differently");
    } else {
      assertTrue(bfloat16.out().contains("float32: mixed_bfloat16 requested, but this CPU has no "
          + "bfloat16 instructions"), bfloat16.out());
      assertEquals(evaluationLines(float32), evaluationLines(bfloat16));
    }

    // The export is float32: PredictMnist reads it in float32 and agrees with the training's
    // own last evaluation within the rounding of bfloat16.
    var predicted = PredictMnistCliTest.run("--model", dir.resolve("bf16").toString(),
        "--data-dir", TestData.mnistDir().toString(), "--device", "cpu");
    assertEquals(0, predicted.exitCode(), predicted.err());
    assertTrue(Math.abs(accuracy(TEST, predicted) - bf16) <= 0.005, predicted.out() + " vs " + bf16);
  }

  @Test
  void predictMnistInMixedBfloat16IsWithinAThirdOfAPointOfFloat32() {
    String model = TestModels.tf1Model().toString();
    var float32 = PredictMnistCliTest.run("--model", model, "--data-dir",
        TestData.mnistDir().toString(), "--device", "cpu");
    var bfloat16 = PredictMnistCliTest.run("--model", model, "--data-dir",
        TestData.mnistDir().toString(), "--device", "cpu", "--precision", "mixed_bfloat16");
    assertEquals(0, float32.exitCode(), float32.err());
    assertEquals(0, bfloat16.exitCode(), bfloat16.err());
    double f32 = accuracy(TEST, float32);
    double bf16 = accuracy(TEST, bfloat16);
    assertTrue(Math.abs(f32 - bf16) <= 0.003, "float32 " + f32 + " against mixed_bfloat16 " + bf16);
  }

  @Test
  void listDevicesStatesThePrecisionAndWhetherTheCpuComputesIt() {
    var run = PredictMnistCliTest.run("--list-devices", "--precision", "mixed_bfloat16");
    assertEquals(0, run.exitCode(), run.err());
    String expected = CPU_COMPUTES_BFLOAT16 ? BUILD + ", mixed_bfloat16 ("
        : "float32: mixed_bfloat16 requested";
    assertTrue(run.out().contains(expected), run.out());
    var served = new java.io.StringWriter();
    int exit = ServeMnist.run(new String[] {"--list-devices", "--precision", "mixed_bfloat16"},
        new java.io.PrintWriter(served), new java.io.PrintWriter(new java.io.StringWriter()));
    assertEquals(0, exit);
    assertTrue(served.toString().contains(expected), served.toString());
  }

  @Test
  void anUnknownPrecisionIsOneLineAndExitCode2() {
    for (var run : List.of(TrainMnistCliTest.run("--precision", "bf16"),
        PredictMnistCliTest.run("--precision", "fp16", "--model", "x"))) {
      assertEquals(2, run.exitCode(), run.err());
      assertOneLineError(run, "--precision must be float32 or mixed_bfloat16, got '");
    }
  }

  private static String[] concat(String[] first, String... more) {
    var all = new String[first.length + more.length];
    System.arraycopy(first, 0, all, 0, first.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }
}
