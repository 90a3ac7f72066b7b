package dev.tfmnist.loader;

import java.nio.file.Path;

/**
 * The model's graph uses an op this TensorFlow does not have, such as one of tensorflow-text's:
 * the library that defines it must be loaded first ({@link LoadedModel#loadLibrary}).
 */
public final class UnregisteredOpException extends ModelLoadException {
  private static final long serialVersionUID = 1L;
  /** The op type TensorFlow does not know. */
  private final String op;

  /**
   * Creates the exception; the message names the op and says how to fix it.
   *
   * @param path the SavedModel directory
   * @param op the op type TensorFlow does not know, e.g. {@code NormalizeUTF8}
   * @param cause TensorFlow's exception
   */
  public UnregisteredOpException(Path path, String op, Throwable cause) {
    super(path, "uses the op " + op + ", which this TensorFlow does not have: load the custom-op "
        + "library that defines it (LoadedModel.loadLibrary) before the model", cause);
    this.op = op;
  }

  /**
   * The op's type name, e.g. {@code NormalizeUTF8}.
   *
   * @return the op type
   */
  public String op() {
    return op;
  }
}
