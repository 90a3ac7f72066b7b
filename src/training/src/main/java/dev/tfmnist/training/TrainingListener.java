package dev.tfmnist.training;

/** Hears about a training run as it goes; the CLI turns this into progress bars and lines. */
public interface TrainingListener {
  TrainingListener NONE = new TrainingListener() {};

  default void stepFinished(int step, float loss) {}

  /**
   * Whether the loop should also measure the test set's loss and predicted classes at each
   * evaluation (for {@link #tested}); they are fetched from the same runs as the accuracy.
   */
  default boolean wantsTestDetails() {
    return false;
  }

  /** The test set's loss and predictions after step {@code step}, just before {@link #evaluated}. */
  default void tested(int step, MnistTrainer.TestResult result) {}

  default void evaluated(Evaluation evaluation) {}

  default void checkpointSaved(java.nio.file.Path checkpoint, TrainingState state) {}
}
