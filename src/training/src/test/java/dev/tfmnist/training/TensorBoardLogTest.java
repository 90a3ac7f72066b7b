package dev.tfmnist.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardLogTest {

  private static List<Evaluation> train(TrainingConfig config, Path runDir) {
    try (var trainer = new MnistTrainer(config)) {
      if (runDir == null) {
        return trainer.train(TestData.dataset(), TrainingListener.NONE);
      }
      try (var log = new TensorBoardLog(trainer, runDir, 0, TestData.dataset())) {
        return trainer.train(TestData.dataset(), log);
      }
    }
  }

  @Test
  void writingSummariesLeavesTrainingsNumbersAsTheyWereAndWritesAnEventFile(@TempDir Path dir)
      throws IOException {
    var config = TrainingConfig.ORIGINAL.withSteps(12).withEvalEvery(10);
    var plain = train(config, null);
    var logged = train(config, dir);

    assertEquals(plain.size(), logged.size());
    for (int i = 0; i < plain.size(); i++) {
      assertEquals(plain.get(i).loss(), logged.get(i).loss(), "loss at evaluation " + i);
      assertEquals(plain.get(i).accuracy(), logged.get(i).accuracy(), "accuracy at evaluation " + i);
    }
    try (Stream<Path> files = Files.list(dir)) {
      var events = files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents."))
          .toList();
      assertEquals(1, events.size(), events.toString());
      // the graph alone is tens of kilobytes; scalars and histograms come on top
      assertTrue(Files.size(events.get(0)) > 20_000, "event file of " + Files.size(events.get(0)) + " B");
    }
  }

  @Test
  void closingTwiceIsHarmless(@TempDir Path dir) {
    try (var trainer = new MnistTrainer(TrainingConfig.ORIGINAL.withSteps(1));
        var log = new TensorBoardLog(trainer, dir, 0, TestData.dataset())) {
      log.close();
    }
  }
}
