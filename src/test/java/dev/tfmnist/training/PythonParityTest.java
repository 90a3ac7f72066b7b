package dev.tfmnist.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;

/**
 * The port is faithful: from the same checkpointed weights (written by Python's TF1 Saver inside
 * savedmodel/python-tf1/1) and the same 20 batches with keep_prob 1, Java's Adam steps give the
 * losses tools/python/train_tf1.py recorded in savedmodel/python-tf1/parity.json.
 */
class PythonParityTest {
  private static final Path PROJECT = Path.of(System.getProperty("user.dir"));

  @Test
  void twentyAdamStepsFromPythonsCheckpointGivePythonsLosses() throws IOException {
    JsonNode parity = new ObjectMapper().readTree(PROJECT.resolve("savedmodel/python-tf1/parity.json").toFile());
    var expected = new ArrayList<Float>();
    parity.get("losses").forEach(loss -> expected.add(loss.floatValue()));
    assertEquals(20, expected.size());

    var config = TrainingConfig.ORIGINAL
        .withSteps(parity.get("steps").asInt())
        .withSeed(parity.get("seed").asLong())
        .withKeepProb((float) parity.get("keep_prob").asDouble())
        .withLearningRate((float) parity.get("learning_rate").asDouble())
        .withEvalEvery(Integer.MAX_VALUE);
    assertEquals(parity.get("batch_size").asInt(), config.batchSize());

    var data = TestData.dataset();
    var losses = new ArrayList<Float>();
    try (var trainer = new MnistTrainer(config)) {
      trainer.restoreModelVariables(PROJECT.resolve(parity.get("init_from").asText()));
      new TrainingLoop(trainer, data, new TrainingListener() {
        @Override
        public void stepFinished(int step, float loss) {
          losses.add(loss);
        }
      }, null).run(TrainingState.start(config, data));
    }

    double worst = 0;
    for (int step = 0; step < expected.size(); step++) {
      double relative = Math.abs(losses.get(step) - expected.get(step)) / Math.abs(expected.get(step));
      worst = Math.max(worst, relative);
    }
    assertTrue(worst <= 1e-4, "largest relative difference " + worst + "\njava   " + losses
        + "\npython " + expected);
    // Not required, but what this machine shows: the same kernels on the same inputs agree exactly.
    System.out.println("Java vs Python losses over 20 steps: largest relative difference " + worst);
  }

}
