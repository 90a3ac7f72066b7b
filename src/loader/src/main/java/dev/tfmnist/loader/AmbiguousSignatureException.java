package dev.tfmnist.loader;

import java.util.List;

/**
 * A signature in which more than one input could be the image, or more than one output the class
 * scores, or none could, or in which the input or output the caller named does not exist. Thrown
 * by {@link ImageClassifier.Builder#build()}. The message lists the candidates; {@link #role()}
 * says which side the caller should name, with {@link ImageClassifier.Builder#input} or {@link
 * ImageClassifier.Builder#output}.
 */
public final class AmbiguousSignatureException extends InvalidInputException {
  private static final long serialVersionUID = 1L;

  /** Which part of the signature is in question. */
  public enum Role {
    /** The image input. */
    INPUT,
    /** The class-score (or class-id) output. */
    OUTPUT
  }

  /** Which side of the signature the caller should name. */
  private final Role role;
  /** The keys that could be meant. */
  private final List<String> choices;

  /**
   * Creates the exception.
   *
   * @param message what does not fit, listing the candidates
   * @param role which side the caller should name
   * @param choices the keys that could be meant; copied
   * @throws NullPointerException if {@code choices} is or holds null
   */
  public AmbiguousSignatureException(String message, Role role, List<String> choices) {
    super(message);
    this.role = role;
    this.choices = List.copyOf(choices);
  }

  /**
   * Which side of the signature the caller should name.
   *
   * @return {@link Role#INPUT} for the image input, {@link Role#OUTPUT} for the class scores
   */
  public Role role() {
    return role;
  }

  /**
   * The keys that could be meant: the candidates when several fit; every key on that side when
   * none fits or the named key does not exist.
   *
   * @return the keys, unmodifiable
   */
  public List<String> choices() {
    return choices;
  }
}
