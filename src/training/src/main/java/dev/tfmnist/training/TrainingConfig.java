package dev.tfmnist.training;

import dev.tfmnist.device.Precision;
import dev.tfmnist.model.Architecture;
import dev.tfmnist.model.Loss;

/**
 * What a training run does. {@link #ORIGINAL} is the seed program: 1000 steps of 100 images,
 * keep_prob 0.5, Adam at 1e-4 on the original loss, a test-set evaluation every 50 steps.
 *
 * @param architecture the network's pooling and padding; the original's is max and SAME
 * @param evalChunk how many test images one evaluation run feeds at once; the whole test set in one
 *     batch peaks at ~2.5 GB, chunks of 1000 keep it near 300 MB at the same speed
 * @param intraOpThreads threads one op may use, 0 for TensorFlow's choice (the core count)
 * @param interOpThreads ops run at once, 0 for TensorFlow's choice (the core count)
 * @param precision the arithmetic of training and evaluation; variables, checkpoints and exports
 *     are float32 either way
 */
public record TrainingConfig(
    int steps, int batchSize, float learningRate, float keepProb, int evalEvery, long seed,
    Loss loss, Architecture architecture, int evalChunk, int intraOpThreads,
    int interOpThreads, Precision precision) {

  public static final TrainingConfig ORIGINAL =
      new TrainingConfig(1000, 100, 1e-4f, 0.5f, 50, 1, Loss.ORIGINAL, Architecture.ORIGINAL,
          1000, 0, 0, Precision.FLOAT32);

  public TrainingConfig {
    require(steps >= 0, "steps", "must be 0 or more, got " + steps);
    require(batchSize > 0, "batchSize", "must be at least 1, got " + batchSize);
    require(learningRate > 0 && Float.isFinite(learningRate),
        "learningRate", "must be a positive number, got " + learningRate);
    require(keepProb > 0 && keepProb <= 1, "keepProb", "must be in (0, 1], got " + keepProb);
    require(evalEvery > 0, "evalEvery", "must be at least 1, got " + evalEvery);
    require(loss != null, "loss", "must be given");
    require(architecture != null, "architecture", "must be given");
    require(evalChunk > 0, "evalChunk", "must be at least 1, got " + evalChunk);
    require(intraOpThreads >= 0, "intraOpThreads", "must be 0 or more, got " + intraOpThreads);
    require(interOpThreads >= 0, "interOpThreads", "must be 0 or more, got " + interOpThreads);
    require(precision != null, "precision", "must be given");
  }

  public TrainingConfig withSteps(int steps) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, loss,
        architecture, evalChunk, intraOpThreads, interOpThreads, precision);
  }

  public TrainingConfig withSeed(long seed) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, loss,
        architecture, evalChunk, intraOpThreads, interOpThreads, precision);
  }

  public TrainingConfig withEvalEvery(int evalEvery) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, loss,
        architecture, evalChunk, intraOpThreads, interOpThreads, precision);
  }

  public TrainingConfig withLearningRate(float learningRate) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, loss,
        architecture, evalChunk, intraOpThreads, interOpThreads, precision);
  }

  public TrainingConfig withKeepProb(float keepProb) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, loss,
        architecture, evalChunk, intraOpThreads, interOpThreads, precision);
  }

  public TrainingConfig withLoss(Loss loss) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, loss,
        architecture, evalChunk, intraOpThreads, interOpThreads, precision);
  }

  public TrainingConfig withArchitecture(Architecture architecture) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, loss,
        architecture, evalChunk, intraOpThreads, interOpThreads, precision);
  }

  public TrainingConfig withPrecision(Precision precision) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, loss,
        architecture, evalChunk, intraOpThreads, interOpThreads, precision);
  }

  /** Whether the original program prints an evaluation after training step {@code step}. */
  public boolean evaluatesAfter(int step) {
    return step % evalEvery == 0;
  }

  private static void require(boolean valid, String setting, String rule) {
    if (!valid) {
      throw new InvalidSettingException(setting, rule);
    }
  }
}
