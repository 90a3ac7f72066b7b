package dev.tfmnist.training;

/** The loss stopped being a number: training cannot recover from NaN weights. */
public final class TrainingDivergedException extends IllegalStateException {
  private final int step;

  public TrainingDivergedException(int step, float loss, TrainingConfig config) {
    super("loss is " + loss + " at step " + step + ": training stopped"
        + (config.loss() == dev.tfmnist.model.Loss.ORIGINAL
            ? " (the original loss takes log(softmax), which is -inf once a probability underflows;"
                + " the stable loss or a lower learning rate avoids it)"
            : " (a lower learning rate may avoid it)"));
    this.step = step;
  }

  public int step() {
    return step;
  }
}
