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

  public ModelLoadException(Path path, String problem) {
    super(path + ": " + problem);
    this.path = path;
  }

  public ModelLoadException(Path path, String problem, Throwable cause) {
    super(path + ": " + problem, cause);
    this.path = path;
  }

  public Path path() {
    return path;
  }
}
