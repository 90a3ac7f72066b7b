package dev.tfmnist.loader;

import java.util.Collection;

/** A signature key the model does not have; the message lists those it has. */
public final class SignatureNotFoundException extends InvalidInputException {
  private static final long serialVersionUID = 1L;
  private final String key;

  public SignatureNotFoundException(String key, Collection<String> available) {
    // TensorFlow Serving's wording, so clients that match on it keep working
    super("Serving signature key \"" + key + "\" not found; the model's signatures are "
        + String.join(", ", available));
    this.key = key;
  }

  public String key() {
    return key;
  }
}
