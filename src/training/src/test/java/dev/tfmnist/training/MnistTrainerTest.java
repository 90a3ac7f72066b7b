package dev.tfmnist.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestData;
import java.util.List;
import org.junit.jupiter.api.Test;

class MnistTrainerTest {

  private static List<String> curve(TrainingConfig config) {
    try (var trainer = new MnistTrainer(config)) {
      return trainer.train(TestData.dataset(), TrainingListener.NONE).stream()
          .map(e -> String.format("step %d loss %.6f accuracy %.4f", e.step(), e.loss(), e.accuracy()))
          .toList();
    }
  }

  @Test
  void sameSeedGivesIdenticalCurvesAndAnotherSeedDoesNot() {
    var config = TrainingConfig.ORIGINAL.withSteps(41).withEvalEvery(20);
    var first = curve(config);
    var second = curve(config);
    var otherSeed = curve(config.withSeed(config.seed() + 1));

    assertEquals(3, first.size());
    assertEquals(first, second);
    for (int i = 0; i < first.size(); i++) {
      assertNotEquals(first.get(i), otherSeed.get(i), "seed did not change evaluation " + i);
    }
  }

  @Test
  void evaluationRunsAfterEveryStepTheConfigAsksFor() {
    var config = TrainingConfig.ORIGINAL.withSteps(3).withEvalEvery(2);
    try (var trainer = new MnistTrainer(config)) {
      var steps = trainer.train(TestData.dataset(), TrainingListener.NONE).stream()
          .map(Evaluation::step).toList();
      assertEquals(List.of(0, 2), steps);
    }
  }

  @Test
  void lossFallsAndAccuracyRisesWithTraining() {
    var config = TrainingConfig.ORIGINAL.withSteps(200).withEvalEvery(199);
    try (var trainer = new MnistTrainer(config)) {
      var evaluations = trainer.train(TestData.dataset(), TrainingListener.NONE);
      assertEquals(List.of(0, 199), evaluations.stream().map(Evaluation::step).toList());
      var start = evaluations.get(0);
      var end = evaluations.get(1);
      assertTrue(end.accuracy() > 0.85, "accuracy after 200 steps: " + end.accuracy());
      assertTrue(end.loss() < start.loss(), "loss " + start.loss() + " -> " + end.loss());
    }
  }

  @Test
  void restoredModelVariablesGiveTheSavedModelsPredictions(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    var data = TestData.dataset();
    var images = new float[100 * 784];
    data.test().fillBatch(java.util.stream.IntStream.range(0, 100).toArray(), images, new float[100 * 10]);
    float[] expected;
    try (var trained = new MnistTrainer(TrainingConfig.ORIGINAL.withSteps(5).withEvalEvery(1000))) {
      trained.train(data, TrainingListener.NONE);
      trained.saveVariables(dir.resolve("variables"));
      expected = trained.predict(images, 100);
    }
    try (var fresh = new MnistTrainer(TrainingConfig.ORIGINAL.withSeed(99))) {
      org.junit.jupiter.api.Assertions.assertFalse(
          java.util.Arrays.equals(expected, fresh.predict(images, 100)), "seeds gave the same weights");
      fresh.restoreModelVariables(dir.resolve("variables"));
      org.junit.jupiter.api.Assertions.assertArrayEquals(expected, fresh.predict(images, 100));
    }
  }
}
