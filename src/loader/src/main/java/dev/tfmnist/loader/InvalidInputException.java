package dev.tfmnist.loader;

/**
 * An input that does not fit the signature (a wrong dtype, rank, size or key), a signature that
 * does not exist, or a model that does not fit the way it is used. Found before anything reaches
 * TensorFlow; the message names the input and says what was expected.
 */
public class InvalidInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what does not fit and what was expected
   */
  public InvalidInputException(String message) {
    super(message);
  }
}
