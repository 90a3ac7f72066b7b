package dev.tfmnist.loader;

/**
 * TensorFlow failed while running a signature on inputs that passed validation, e.g. a reshape
 * inside the graph that the signature's shapes did not announce. {@link #isInvalidArgument()} tells
 * an input TensorFlow rejected from a failure of the model or the runtime.
 */
public final class PredictionException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean invalidArgument;

  public PredictionException(String message, boolean invalidArgument, Throwable cause) {
    super(message, cause);
    this.invalidArgument = invalidArgument;
  }

  public boolean isInvalidArgument() {
    return invalidArgument;
  }
}
