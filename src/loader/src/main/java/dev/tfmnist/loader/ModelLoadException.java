package dev.tfmnist.loader;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model directory that cannot be loaded: missing, not a SavedModel, without the requested tags
 * or version, or with unreadable variables. The message is one line that starts with the path.
 */
public class ModelLoadException extends IOException {
  private static final long serialVersionUID = 1L;
  private final transient Path path;

  /**
   * Creates the exception; its message is {@code path + ": " + problem}.
   *
   * @param path the directory or file at fault
   * @param problem what is wrong with it
   */
  public ModelLoadException(Path path, String problem) {
    super(path + ": " + problem);
    this.path = path;
  }

  /**
   * Creates the exception with a cause; its message is {@code path + ": " + problem}.
   *
   * @param path the directory or file at fault
   * @param problem what is wrong with it
   * @param cause the exception that revealed the problem, e.g. TensorFlow's
   */
  public ModelLoadException(Path path, String problem, Throwable cause) {
    super(path + ": " + problem, cause);
    this.path = path;
  }

  /**
   * The directory or file at fault: the directory given, a version directory in it, or its
   * saved_model.pb.
   *
   * @return the path; null in an exception that was deserialized, as the path is not serialized
   */
  public Path path() {
    return path;
  }
}
