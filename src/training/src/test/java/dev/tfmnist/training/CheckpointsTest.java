package dev.tfmnist.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.model.Loss;
import dev.tfmnist.testing.TestData;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
  private static final TrainingConfig CONFIG = TrainingConfig.ORIGINAL.withSteps(40).withEvalEvery(10);

  private static float[] firstTestImages() {
    var images = new float[200 * 784];
    TestData.dataset().test().fillBatch(IntStream.range(0, 200).toArray(), images, new float[200 * 10]);
    return images;
  }

  @Test
  void aStoppedAndResumedRunEndsWithTheSameWeightsAsOneThatNeverStopped(@TempDir Path dir)
      throws IOException {
    var data = TestData.dataset();
    var images = firstTestImages();
    float[] uninterrupted;
    TrainingLoop.Outcome straight;
    try (var trainer = new MnistTrainer(CONFIG)) {
      straight = new TrainingLoop(trainer, data, TrainingListener.NONE, null)
          .run(TrainingState.start(CONFIG, data));
      uninterrupted = trainer.predict(images, 200);
    }

    var checkpoints = new Checkpoints(dir, message -> {});
    try (var first = new MnistTrainer(CONFIG.withSteps(23))) {
      var outcome = new TrainingLoop(first, data, TrainingListener.NONE, checkpoints)
          .run(TrainingState.start(CONFIG, data));
      assertEquals(23, outcome.state().nextStep());
    }
    var latest = checkpoints.latest(CONFIG).orElseThrow();
    assertEquals(dir.resolve("ckpt-23"), latest.dir());
    try (var resumed = new MnistTrainer(CONFIG)) {
      resumed.restoreModelAndOptimizer(latest);
      var outcome = new TrainingLoop(resumed, data, TrainingListener.NONE, checkpoints).run(latest.state());
      assertEquals(straight.evaluations(), outcome.evaluations().stream()
          .map(e -> new Evaluation(e.step(), e.loss(), e.accuracy(), straightElapsed(straight, e)))
          .toList());
      assertArrayEquals(uninterrupted, resumed.predict(images, 200), "weights differ after resume");
    }
  }

  /** Elapsed time is the one thing a resumed run does not reproduce. */
  private static double straightElapsed(TrainingLoop.Outcome straight, Evaluation e) {
    return straight.evaluations().stream().filter(s -> s.step() == e.step()).findFirst()
        .orElseThrow().elapsedSeconds();
  }

  @Test
  void keepsTheNewestThreeAndFallsBackWhenTheNewestIsCorrupt(@TempDir Path dir) throws IOException {
    var warnings = new ArrayList<String>();
    var checkpoints = new Checkpoints(dir, warnings::add);
    var data = TestData.dataset();
    try (var trainer = new MnistTrainer(CONFIG.withSteps(4).withEvalEvery(1))) {
      new TrainingLoop(trainer, data, TrainingListener.NONE, checkpoints)
          .run(TrainingState.start(CONFIG, data));
    }
    try (var listing = Files.list(dir)) {
      assertEquals(java.util.Set.of("ckpt-2", "ckpt-3", "ckpt-4"),
          listing.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
    }
    Path data4 = dir.resolve("ckpt-4").resolve("variables.data-00000-of-00001");
    try (var file = new RandomAccessFile(data4.toFile(), "rw")) {
      file.seek(1000);
      file.write(new byte[] {1, 2, 3, 4});
    }
    var latest = checkpoints.latest(CONFIG).orElseThrow();
    assertEquals(dir.resolve("ckpt-3"), latest.dir());
    assertEquals(3, latest.state().nextStep());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("ckpt-4") && warnings.get(0).contains("SHA-256"), warnings.get(0));
  }

  @Test
  void resumingWithOtherSettingsIsRefused(@TempDir Path dir) throws IOException {
    var checkpoints = new Checkpoints(dir, message -> {});
    var data = TestData.dataset();
    try (var trainer = new MnistTrainer(CONFIG.withSteps(1))) {
      new TrainingLoop(trainer, data, TrainingListener.NONE, checkpoints)
          .run(TrainingState.start(CONFIG, data));
    }
    var error = assertThrows(IllegalArgumentException.class,
        () -> checkpoints.latest(CONFIG.withSeed(2)));
    assertTrue(error.getMessage().contains("resume with the same settings"), error.getMessage());
    var otherNetwork = assertThrows(IllegalArgumentException.class, () -> checkpoints.latest(
        CONFIG.withArchitecture(new dev.tfmnist.model.Architecture(
            dev.tfmnist.model.Architecture.Pooling.MEAN, dev.tfmnist.model.Architecture.Padding.SAME))));
    assertTrue(otherNetwork.getMessage().contains("mean pooling, SAME padding"),
        otherNetwork.getMessage());
    assertTrue(checkpoints.latest(CONFIG.withSteps(500)).isPresent(), "--steps may change");
  }

  @Test
  void stableLossEqualsTheOriginalWhileBothAreFinite() {
    var data = TestData.dataset();
    try (var original = new MnistTrainer(CONFIG.withSteps(3).withEvalEvery(100));
        var stable = new MnistTrainer(CONFIG.withSteps(3).withEvalEvery(100).withLoss(Loss.STABLE))) {
      var losses = new ArrayList<float[]>();
      for (var trainer : new MnistTrainer[] {original, stable}) {
        var recorded = new float[3];
        new TrainingLoop(trainer, data, new TrainingListener() {
          @Override
          public void stepFinished(int step, float loss) {
            recorded[step] = loss;
          }
        }, null).run(TrainingState.start(trainer.config(), data));
        losses.add(recorded);
      }
      for (int step = 0; step < 3; step++) {
        float a = losses.get(0)[step];
        float b = losses.get(1)[step];
        assertEquals(a, b, 1e-4 * Math.abs(a), "step " + step);
      }
    }
  }
}
