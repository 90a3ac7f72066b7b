package dev.tfmnist.model;

/** Which cross-entropy {@link MnistCnn#training} minimizes. */
public enum Loss {
  /** The seed program's {@code mean(-sum(ys * log(softmax)))}: faithful, and NaN once a probability underflows to 0. */
  ORIGINAL,
  /** TensorFlow's fused softmax cross-entropy on the logits: the same value where both are finite, never log(0). */
  STABLE
}
