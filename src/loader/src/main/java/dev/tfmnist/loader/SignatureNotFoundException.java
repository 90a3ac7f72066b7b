package dev.tfmnist.loader;

import java.util.Collection;

/**
 * A signature key the model does not have; the message, in TensorFlow Serving's wording, lists
 * those it has. Thrown by {@link LoadedModel#signature(String)} and {@link
 * LoadedModel#predictor(String)}.
 */
public final class SignatureNotFoundException extends InvalidInputException {
  private static final long serialVersionUID = 1L;
  /** The key asked for. */
  private final String key;

  /**
   * Creates the exception.
   *
   * @param key the key asked for
   * @param available the keys the model has
   */
  public SignatureNotFoundException(String key, Collection<String> available) {
    // TensorFlow Serving's wording, so clients that match on it keep working
    super("Serving signature key \"" + key + "\" not found; the model's signatures are "
        + String.join(", ", available));
    this.key = key;
  }

  /**
   * The key asked for.
   *
   * @return the key
   */
  public String key() {
    return key;
  }
}
