package dev.tfmnist.training;

/** Hears about a training run as it goes; the CLI turns this into progress bars and lines. */
public interface TrainingListener {
  TrainingListener NONE = new TrainingListener() {};

  default void stepFinished(int step, float loss) {}

  default void evaluated(Evaluation evaluation) {}

  default void checkpointSaved(java.nio.file.Path checkpoint, TrainingState state) {}
}
