package dev.tfmnist.training;

/**
 * What a training run does. {@link #ORIGINAL} is the seed program: 1000 steps of 100 images,
 * keep_prob 0.5, Adam at 1e-4, a test-set evaluation every 50 steps.
 *
 * @param evalChunk how many test images one evaluation run feeds at once; the whole test set in one
 *     batch peaks at ~2.5 GB, chunks of 1000 keep it near 300 MB at the same speed
 */
public record TrainingConfig(
    int steps, int batchSize, float learningRate, float keepProb, int evalEvery, long seed,
    int evalChunk) {

  public static final TrainingConfig ORIGINAL = new TrainingConfig(1000, 100, 1e-4f, 0.5f, 50, 1, 1000);

  public TrainingConfig {
    require(steps >= 0, "--steps must be 0 or more, got " + steps);
    require(batchSize > 0, "--batch-size must be at least 1, got " + batchSize);
    require(learningRate > 0 && Float.isFinite(learningRate),
        "--learning-rate must be a positive number, got " + learningRate);
    require(keepProb > 0 && keepProb <= 1, "--keep-prob must be in (0, 1], got " + keepProb);
    require(evalEvery > 0, "--eval-every must be at least 1, got " + evalEvery);
    require(evalChunk > 0, "evaluation chunk must be at least 1, got " + evalChunk);
  }

  public TrainingConfig withSteps(int steps) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, evalChunk);
  }

  public TrainingConfig withSeed(long seed) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, evalChunk);
  }

  public TrainingConfig withEvalEvery(int evalEvery) {
    return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed, evalChunk);
  }

  /** Whether the original program prints an evaluation after training step {@code step}. */
  public boolean evaluatesAfter(int step) {
    return step % evalEvery == 0;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
