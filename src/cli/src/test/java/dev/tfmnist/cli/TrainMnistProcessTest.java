package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestData;
import dev.tfmnist.training.Checkpoints;
import dev.tfmnist.training.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TrainMnist in JVMs of its own: killed, signalled and resumed as a user would. */
class TrainMnistProcessTest {
  private static final List<String> RUN = List.of("--steps", "60", "--eval-every", "10",
      "--progress", "none");

  private static Process start(Path dir, String name, List<String> args) throws IOException {
    var command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), TrainMnist.class.getName(),
        "--data-dir", TestData.mnistDir().toString(),
        "--export-dir", dir.resolve("export-" + name).toString()));
    command.addAll(args);
    var builder = new ProcessBuilder(command)
        .redirectOutput(dir.resolve(name + ".out").toFile())
        .redirectError(dir.resolve(name + ".err").toFile());
    builder.environment().remove(NativeLog.LEVEL_VARIABLE);  // as a user runs it: quiet by default
    return builder.start();
  }

  private static String finish(Process process, Path dir, String name) throws Exception {
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), name + " did not finish");
    String out = Files.readString(dir.resolve(name + ".out"));
    assertEquals(0, process.exitValue(), name + ":\n" + out + Files.readString(dir.resolve(name + ".err")));
    return out;
  }

  private static List<String> lines(String out, String prefix) {
    return out.lines().filter(l -> l.startsWith(prefix)).toList();
  }

  /** Waits until a checkpoint at or past {@code step} has been renamed into place. */
  private static void awaitCheckpoint(Path checkpoints, int step, Process process) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (System.nanoTime() < deadline && process.isAlive()) {
      if (Files.isDirectory(checkpoints)) {
        try (Stream<Path> children = Files.list(checkpoints)) {
          if (children.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ckpt-"))
              .anyMatch(n -> Integer.parseInt(n.substring(5)) >= step)) {
            return;
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no checkpoint at step " + step + " appeared");
  }

  @Test
  void killNineMidRunThenResumeMatchesAnUninterruptedRun(@TempDir Path dir) throws Exception {
    Path checkpoints = dir.resolve("checkpoints");
    var withCheckpoints = new ArrayList<>(RUN);
    withCheckpoints.addAll(List.of("--checkpoint-dir", checkpoints.toString()));

    var victim = start(dir, "killed", withCheckpoints);
    awaitCheckpoint(checkpoints, 31, victim);
    victim.destroyForcibly();  // SIGKILL: no hook runs
    assertTrue(victim.waitFor(1, TimeUnit.MINUTES));
    assertEquals(137, victim.exitValue(), "expected death by SIGKILL");

    var survivors = new Checkpoints(checkpoints, message -> { throw new AssertionError(message); })
        .latest(TrainingConfig.ORIGINAL);
    assertTrue(survivors.isPresent(), "no completed checkpoint survived kill -9");
    int resumedAt = survivors.get().state().nextStep();
    assertTrue(resumedAt >= 31, "latest checkpoint " + resumedAt);

    var resume = new ArrayList<>(withCheckpoints);
    resume.add("--resume");
    String resumed = finish(start(dir, "resumed", resume), dir, "resumed");
    String straight = finish(start(dir, "straight", RUN), dir, "straight");

    assertTrue(resumed.contains("resuming from " + survivors.get().dir() + " at step " + resumedAt), resumed);
    assertEquals(lines(straight, "final test accuracy"), lines(resumed, "final test accuracy"));
    assertEquals(1, lines(straight, "final test accuracy").size(), straight);
    var afterResume = lines(straight, "step ").stream()
        .filter(l -> Integer.parseInt(l.split("\\s+")[1]) >= resumedAt)
        .map(TrainMnistProcessTest::withoutTime).toList();
    assertEquals(afterResume, lines(resumed, "step ").stream().map(TrainMnistProcessTest::withoutTime).toList());
  }

  private static String withoutTime(String evaluationLine) {
    return evaluationLine.replaceAll("\\s+[0-9.]+ s$", "");
  }

  @Test
  void sigtermSavesACheckpointAndExitsCleanly(@TempDir Path dir) throws Exception {
    Path checkpoints = dir.resolve("checkpoints");
    var args = new ArrayList<>(List.of("--steps", "100000", "--eval-every", "10", "--progress", "none",
        "--checkpoint-dir", checkpoints.toString()));
    var process = start(dir, "signalled", args);
    awaitCheckpoint(checkpoints, 11, process);
    process.destroy();  // SIGTERM
    assertTrue(process.waitFor(2, TimeUnit.MINUTES), "did not exit after SIGTERM");
    assertEquals(143, process.exitValue());
    String out = Files.readString(dir.resolve("signalled.out"));
    var stopped = lines(out, "stopped before step ");
    assertEquals(1, stopped.size(), out + Files.readString(dir.resolve("signalled.err")));
    int stoppedAt = Integer.parseInt(stopped.get(0).replaceAll("stopped before step (\\d+):.*", "$1"));
    var latest = new Checkpoints(checkpoints, message -> { throw new AssertionError(message); })
        .latest(TrainingConfig.ORIGINAL).orElseThrow();
    assertEquals(stoppedAt, latest.state().nextStep(), "the checkpoint is not the step it stopped at");
    assertEquals("", Files.readString(dir.resolve("signalled.err")));
  }
}
