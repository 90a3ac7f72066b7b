package dev.tfmnist.training;

/** Hears about a training run as it goes; the CLI turns this into progress bars and lines. */
public interface TrainingListener {
  TrainingListener NONE = new TrainingListener() {};

  default void stepFinished(int step, float loss) {}

  /**
   * Whether the loop should also measure the test set's loss at each evaluation (for
   * {@link #testLoss}); it is fetched from the same runs as the accuracy.
   */
  default boolean wantsTestLoss() {
    return false;
  }

  /** The test set's mean loss after step {@code step}, just before {@link #evaluated}. */
  default void testLoss(int step, double loss) {}

  default void evaluated(Evaluation evaluation) {}

  default void checkpointSaved(java.nio.file.Path checkpoint, TrainingState state) {}
}
