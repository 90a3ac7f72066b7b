package dev.tfmnist.spark;

/** A model that cannot be loaded or used to classify images; the message is one line. */
public final class ModelUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
