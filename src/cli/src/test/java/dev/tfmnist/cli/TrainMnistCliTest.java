package dev.tfmnist.cli;

import static dev.tfmnist.cli.CliRun.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.data.MnistFile;
import dev.tfmnist.device.DevicePlan;
import dev.tfmnist.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainMnistCliTest {

  static CliRun run(String... args) {
    return CliRun.of(TrainMnist::run, args);
  }

  @Test
  void unknownOptionIsOneLineAndExitCode2() {
    var run = run("--stpes", "10");
    assertEquals(2, run.exitCode());
    assertOneLineError(run, "--stpes");
  }

  @Test
  void negativeStepCountIsOneLineAndExitCode2() {
    var run = run("--steps", "-5");
    assertEquals(2, run.exitCode());
    assertOneLineError(run, "--steps must be 0 or more, got -5");
  }

  @Test
  void badKeepProbIsRefusedBeforeAnyWork() {
    assertOneLineError(run("--keep-prob", "1.5"), "--keep-prob");
  }

  @Test
  void corruptMnistFileIsOneLineNamingTheFile(@TempDir Path dir) throws IOException {
    for (var file : List.of(MnistFile.TRAIN_IMAGES, MnistFile.TRAIN_LABELS, MnistFile.TEST_IMAGES)) {
      Path real = TestData.file(file);  // .gz or raw, as the test data has it
      Files.copy(real, dir.resolve(real.getFileName()));
    }
    // Labels whose third entry is 10: a valid header and length, an impossible digit.
    var labels = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(labels)) {
      gz.write(new byte[] {0, 0, 8, 1, 0, 0, 0x27, 0x10});
      var body = new byte[10_000];
      body[2] = 10;
      gz.write(body);
    }
    Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), labels.toByteArray());

    var run = run("--data-dir", dir.toString(), "--steps", "1", "--export-dir",
        dir.resolve("export").toString());
    assertEquals(1, run.exitCode());
    assertOneLineError(run, "t10k-labels-idx1-ubyte.gz");
    assertFalse(Files.exists(dir.resolve("export")), "exported despite the error");
  }

  @Test
  void helpListsTheOptions() {
    var run = run("--help");
    assertEquals(0, run.exitCode());
    for (String option : new String[] {"--steps", "--batch-size", "--learning-rate", "--keep-prob",
        "--eval-every", "--seed", "--pooling", "--padding", "--data-dir", "--export-dir"}) {
      assertTrue(run.out().contains(option), option + " missing from --help");
    }
  }

  @Test
  void shortRunPrintsEvaluationLinesFinalAccuracyAndWhereTheModelWent(@TempDir Path dir)
      throws IOException {
    var run = run("--data-dir", TestData.mnistDir().toString(), "--steps", "3", "--eval-every", "2",
        "--export-dir", dir.toString(), "--progress", "none");
    assertEquals(0, run.exitCode(), run.err());
    var lines = run.out().lines()
        .filter(l -> l.startsWith("step ") || l.startsWith("final ") || l.contains(" written to "))
        .toList();
    assertEquals(5, lines.size(), run.out());
    assertTrue(lines.get(0).matches("step 0 +loss \\d+\\.\\d{4} +accuracy 0\\.\\d{4} .*"), lines.get(0));
    assertTrue(lines.get(1).startsWith("step 2 "), lines.get(1));
    assertTrue(lines.get(2).matches("final test accuracy 0\\.\\d{4}"), lines.get(2));
    assertEquals("SavedModel written to " + dir.resolve("1"), lines.get(3));
    assertEquals("Curve written to " + dir.resolve("1-curve.csv") + " and " + dir.resolve("1-curve.png"),
        lines.get(4));
    assertTrue(Files.isRegularFile(dir.resolve("1").resolve("saved_model.pb")));
    assertEquals(3, Files.readAllLines(dir.resolve("1-curve.csv")).size(), "header and two evaluations");
    assertTrue(run.out().contains("Total params: 3,274,634"), "summary printed before training");
    assertTrue(run.out().contains("Peak RSS (measured): "), run.out());
    assertEquals("", run.err(), "unexpected output on stderr");
  }

  /**
   * Each pooling and padding trains, exports and reloads: PredictMnist's accuracy on the exported
   * model is TrainMnist's final one, and the network has the parameters its shapes give.
   */
  @ParameterizedTest(name = "--pooling {0} --padding {1}")
  @CsvSource({"max, same, '3,274,634'", "max, valid, '1,111,946'", "mean, same, '3,274,634'",
      "mean, valid, '1,111,946'"})
  void everyPoolingAndPaddingTrainsExportsAndReloadsWithTheSameAccuracy(String pooling,
      String padding, String parameters, @TempDir Path dir) {
    var train = run("--data-dir", TestData.mnistDir().toString(), "--steps", "30",
        "--eval-every", "1000", "--pooling", pooling, "--padding", padding,
        "--export-dir", dir.toString(), "--progress", "none");
    assertEquals(0, train.exitCode(), train.err());
    assertTrue(train.out().contains("Total params: " + parameters + " "), train.out());
    String accuracy = train.out().lines().filter(l -> l.startsWith("final test accuracy "))
        .findFirst().orElseThrow().substring("final test accuracy ".length());
    assertTrue(Double.parseDouble(accuracy) > 0.3, "30 steps should beat chance: " + accuracy);
    var predict = CliRun.of(PredictMnist::run, "--model", dir.resolve("1").toString(),
        "--device", "cpu", "--data-dir", TestData.mnistDir().toString());
    assertEquals(0, predict.exitCode(), predict.err());
    assertEquals("test accuracy " + accuracy, predict.out().strip());
  }

  @Test
  void unknownPoolingOrPaddingIsOneLineAndExitCode2() {
    assertOneLineError(run("--pooling", "min"), 2, "--pooling must be max or mean, got 'min'");
    assertOneLineError(run("--padding", "full"), 2, "--padding must be same or valid, got 'full'");
  }

  @Test
  void summaryOfValidMeanShowsItsShapesParametersAndTheWeightArgument() {
    var run = run("--summary", "--pooling", "mean", "--padding", "valid");
    assertEquals(0, run.exitCode(), run.err());
    for (String row : new String[] {"(mean pooling, VALID padding)", "(None, 24, 24, 32)",
        "pool1 (AveragePooling2D)", "(None, 4, 4, 64)", "flatten (Reshape)           (None, 1024)",
        "1,049,600", "Total params: 1,111,946",
        " conv1  28x28x1 -> 24x24x32             14,450,688             460,800             800"}) {
      assertTrue(run.out().contains(row), "missing '" + row + "' in\n" + run.out());
    }
  }

  @Test
  void summaryPrintsTheLayerTableAndExitsWithoutTraining() {
    var run = run("--summary");
    assertEquals(0, run.exitCode(), run.err());
    var out = run.out();
    for (String row : new String[] {"conv1 (Conv2D+ReLU)", "(None, 28, 28, 32)", "832",
        "pool1 (MaxPooling2D)", "(None, 14, 14, 32)", "conv2 (Conv2D+ReLU)", "(None, 14, 14, 64)",
        "51,264", "(None, 7, 7, 64)", "fc1 (Dense+ReLU)", "(None, 1024)", "3,212,288",
        "fc2 (Dense+Softmax)", "(None, 10)", "10,250", "Total params: 3,274,634 (12.49 MB)",
        "article's rule (batch x weights x 12 B) 3.66 GB",
        " conv2  14x14x32 -> 14x14x64            78,675,968          10,035,200          51,200"}) {
      assertTrue(out.contains(row), "missing '" + row + "' in\n" + out);
    }
    assertFalse(out.contains("step 0"), "--summary trained");
  }

  @Test
  void progressBecomesPlainLinesWhenNotOnATerminal(@TempDir Path dir) {
    var run = run("--data-dir", TestData.mnistDir().toString(), "--steps", "20", "--eval-every",
        "100", "--export-dir", dir.toString(), "--progress", "lines");
    assertEquals(0, run.exitCode(), run.err());
    var progress = run.err().lines().filter(l -> l.startsWith("train ")).toList();
    assertEquals(10, progress.size(), run.err());
    assertTrue(progress.get(0).matches(
        "train 2/20 steps  \\d+\\.\\d steps/s  ETA \\d+:\\d\\d  loss \\d+\\.\\d{4}"), progress.get(0));
    assertTrue(progress.get(9).startsWith("train 20/20 steps"), progress.get(9));
    assertFalse(run.err().contains("\r"), "carriage returns in plain progress lines");
  }

  @Test
  void nanLossStopsTrainingWithALineNamingTheStep(@TempDir Path dir) {
    var run = run("--data-dir", TestData.mnistDir().toString(), "--steps", "300",
        "--learning-rate", "5", "--export-dir", dir.toString(), "--progress", "none");
    assertEquals(1, run.exitCode(), run.out());
    assertOneLineError(run, " at step ");
    assertTrue(run.err().matches("(?s)TrainMnist: loss is (NaN|Infinity|-Infinity) at step \\d+: training stopped.*--loss stable.*"),
        run.err());
    assertFalse(Files.exists(dir.resolve("1")), "a diverged model was exported");
  }

  @Test
  void unknownLossIsRefused() {
    assertOneLineError(run("--loss", "fancy"), "--loss must be original or stable, got 'fancy'");
  }

  @Test
  void logdirThatIsAFileIsOneLineAndExitCode2BeforeTraining(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
    var run = run("--data-dir", dir.resolve("no-mnist-here").toString(), "--logdir", file.toString());
    assertEquals(2, run.exitCode());
    assertOneLineError(run, "--logdir " + file + " is not a directory");
    var below = run("--data-dir", dir.resolve("no-mnist-here").toString(),
        "--logdir", file.resolve("sub").toString());
    assertEquals(2, below.exitCode());
    assertOneLineError(below, "--logdir " + file.resolve("sub") + ": cannot create");
    assertFalse(Files.exists(dir.resolve("no-mnist-here")), "MNIST was fetched before --logdir was checked");
  }

  @Test
  void resumeWithoutCheckpointDirIsRefused() {
    assertOneLineError(run("--resume"), "--resume needs --checkpoint-dir");
  }

  @Test
  void deviceGpuWithoutAGpuIsOneLineAndExitCode1(@TempDir Path dir) {
    if (dev.tfmnist.device.DevicePlan.resolve(dev.tfmnist.device.DeviceChoice.AUTO, false).onGpu()) {
      return;  // a machine with a usable GPU: there is no error to see
    }
    var run = run("--data-dir", TestData.mnistDir().toString(), "--device", "gpu",
        "--export-dir", dir.toString());
    assertEquals(1, run.exitCode());
    assertOneLineError(run, "--device gpu: TensorFlow sees no GPU: ");
  }

  @Test
  void outputStartsWithTheModelAndGivesTheDeviceOneLine(@TempDir Path dir) {
    var run = run("--data-dir", TestData.mnistDir().toString(), "--steps", "0", "--device", "cpu",
        "--export-dir", dir.toString(), "--progress", "none");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("Model: \"mnist_cnn\" (max pooling, SAME padding)\n"), run.out());
    var deviceLines = run.out().lines().filter(line -> line.contains("CPU")).toList();
    assertEquals(List.of("Running on: CPU (TensorFlow 2.18.0, "
        + (DevicePlan.gpuBuild() ? "GPU" : "CPU") + " build, float32)"), deviceLines, run.out());
  }

  @Test
  void listDevicesPrintsTheTableAndExits(@TempDir Path dir) throws IOException {
    var run = run("--list-devices", "--data-dir", dir.resolve("never-fetched").toString());
    assertEquals(0, run.exitCode(), run.err());
    var lines = run.out().lines().toList();
    assertEquals("Devices TensorFlow sees:", lines.get(0), run.out());
    assertTrue(lines.contains("  CPU:0    CPU  host memory"), run.out());
    assertTrue(lines.get(lines.size() - 1).startsWith("Running on: "), run.out());
    assertEquals("", run.err());
    assertFalse(Files.exists(dir.resolve("never-fetched")), "no data is fetched to list devices");
  }
}
