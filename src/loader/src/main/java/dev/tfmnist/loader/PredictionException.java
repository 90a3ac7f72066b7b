package dev.tfmnist.loader;

/**
 * TensorFlow failed while running a signature on inputs that passed validation, e.g. a reshape
 * inside the graph that the signature's shapes did not announce. {@link #isInvalidArgument()} tells
 * an input TensorFlow rejected from a failure of the model or the runtime.
 */
public final class PredictionException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** Whether TensorFlow rejected an input. */
  private final boolean invalidArgument;

  /**
   * Creates the exception.
   *
   * @param message which signature failed and TensorFlow's first line about it
   * @param invalidArgument whether TensorFlow rejected an input (its {@code INVALID_ARGUMENT})
   * @param cause TensorFlow's exception
   */
  public PredictionException(String message, boolean invalidArgument, Throwable cause) {
    super(message, cause);
    this.invalidArgument = invalidArgument;
  }

  /**
   * Whether TensorFlow rejected an input ({@code INVALID_ARGUMENT}, a caller's error such as a
   * value the graph cannot reshape) rather than failing in the model or the runtime.
   *
   * @return true for a rejected input
   */
  public boolean isInvalidArgument() {
    return invalidArgument;
  }
}
