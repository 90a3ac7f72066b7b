package dev.tfmnist.training;

import java.util.Locale;

/**
 * One evaluation: the test accuracy after training step {@code step} (0-based), the loss of that
 * step's batch, and the training time so far.
 */
public record Evaluation(int step, float loss, double accuracy, double elapsedSeconds) {

  /** The line TrainMnist prints, e.g. {@code step 50    loss 0.7421  accuracy 0.8140  12.3 s}. */
  public String line() {
    return String.format(Locale.ROOT, "step %-5d loss %.4f  accuracy %.4f  %.1f s",
        step, loss, accuracy, elapsedSeconds);
  }
}
