package dev.tfmnist.loader;

import java.util.List;

/**
 * A signature in which more than one input could be the image, or more than one output the class
 * scores, or none could. The message lists the candidates; {@link #role()} says which side the
 * caller should name.
 */
public final class AmbiguousSignatureException extends InvalidInputException {
  private static final long serialVersionUID = 1L;

  /** Which part of the signature is in question. */
  public enum Role { INPUT, OUTPUT }

  private final Role role;
  private final List<String> choices;

  public AmbiguousSignatureException(String message, Role role, List<String> choices) {
    super(message);
    this.role = role;
    this.choices = List.copyOf(choices);
  }

  public Role role() {
    return role;
  }

  /** The keys that could be meant; empty when none fits. */
  public List<String> choices() {
    return choices;
  }
}
