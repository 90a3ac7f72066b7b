package dev.tfmnist.training;

import dev.tfmnist.data.BatchSampler;
import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistSplit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;

/**
 * The training loop: steps from a {@link TrainingState} to {@code config.steps()}, evaluates when
 * the config says so, checkpoints after every evaluation and at the end, and stops early, with a
 * checkpoint, when {@link #requestStop()} is called (from a signal handler, say).
 */
public final class TrainingLoop {
  private final MnistTrainer trainer;
  private final MnistDataset data;
  private final TrainingListener listener;
  private final Checkpoints checkpoints;
  private volatile boolean stopRequested;

  /** {@code checkpoints} may be null: then nothing is saved. */
  public TrainingLoop(MnistTrainer trainer, MnistDataset data, TrainingListener listener,
      Checkpoints checkpoints) {
    this.trainer = trainer;
    this.data = data;
    this.listener = listener;
    this.checkpoints = checkpoints;
  }

  /** Asks the loop to stop after the step it is running; safe from any thread. */
  public void requestStop() {
    stopRequested = true;
  }

  /**
   * Where the run ended: the final state, whether it stopped before {@code config.steps()}, and
   * how this run's time split between training steps and evaluations.
   */
  public record Outcome(TrainingState state, boolean stopped, int stepsRun, double stepSeconds,
      double evaluationSeconds) {
    /** Training steps per second, evaluations not counted. */
    public double stepsPerSecond() {
      return stepSeconds > 0 ? stepsRun / stepSeconds : 0;
    }

    public java.util.List<Evaluation> evaluations() {
      return state.evaluations();
    }
  }

  public Outcome run(TrainingState start) {
    var config = trainer.config();
    var sampler = BatchSampler.restore(start.sampler());
    var evaluations = new ArrayList<>(start.evaluations());
    int batch = config.batchSize();
    var indices = new int[batch];
    var xs = new float[batch * MnistSplit.PIXELS];
    var ys = new float[batch * MnistSplit.CLASSES];
    long startNanos = System.nanoTime() - (long) (start.elapsedSeconds() * 1e9);
    int step = start.nextStep();
    TrainingState saved = null;
    long evaluationNanos = 0;
    for (; step < config.steps() && !stopRequested; step++) {
      sampler.next(indices);
      data.train().fillBatch(indices, xs, ys);
      float loss = trainer.trainStep(step, xs, ys, batch);
      if (!Float.isFinite(loss)) {
        throw new TrainingDivergedException(step, loss, config);
      }
      listener.stepFinished(step, loss);
      if (config.evaluatesAfter(step)) {
        long evaluationStart = System.nanoTime();
        double accuracy;
        if (listener.wantsTestDetails()) {
          var result = trainer.evaluateWithLoss(data.test());
          accuracy = result.accuracy();
          listener.tested(step, result);
        } else {
          accuracy = trainer.evaluate(data.test());
        }
        evaluationNanos += System.nanoTime() - evaluationStart;
        var evaluation = new Evaluation(step, loss, accuracy, seconds(startNanos));
        evaluations.add(evaluation);
        listener.evaluated(evaluation);
        saved = checkpoint(new TrainingState(step + 1, sampler.state(), evaluations, seconds(startNanos)));
      }
    }
    var end = new TrainingState(step, sampler.state(), evaluations, seconds(startNanos));
    if (saved == null || saved.nextStep() != end.nextStep()) {
      checkpoint(end);
    }
    double runSeconds = end.elapsedSeconds() - start.elapsedSeconds();
    return new Outcome(end, step < config.steps(), step - start.nextStep(),
        runSeconds - evaluationNanos / 1e9, evaluationNanos / 1e9);
  }

  private TrainingState checkpoint(TrainingState state) {
    if (checkpoints == null) {
      return null;
    }
    try {
      listener.checkpointSaved(checkpoints.save(trainer, state), state);
      return state;
    } catch (IOException e) {
      throw new UncheckedIOException("could not save a checkpoint in " + checkpoints.dir() + ": " + e.getMessage(), e);
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
