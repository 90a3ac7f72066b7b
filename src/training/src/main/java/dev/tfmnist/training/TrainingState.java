package dev.tfmnist.training;

import dev.tfmnist.data.BatchSamplerState;
import dev.tfmnist.data.MnistDataset;
import java.util.List;

/**
 * Where a run stands between two steps, besides the variables: the next step to train, the batch
 * order's position, the evaluations so far and the training time spent. With the variables (Adam's
 * state included) this is all a resumed run needs to continue as if it never stopped: dropout masks
 * depend only on (seed, step).
 */
public record TrainingState(
    int nextStep, BatchSamplerState sampler, List<Evaluation> evaluations, double elapsedSeconds) {

  public TrainingState {
    evaluations = List.copyOf(evaluations);
  }

  /** The state before step 0. */
  public static TrainingState start(TrainingConfig config, MnistDataset data) {
    return new TrainingState(0, new BatchSamplerState(data.train().count(), config.seed(), 0, 0),
        List.of(), 0);
  }
}
