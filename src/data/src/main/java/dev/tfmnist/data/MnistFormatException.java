package dev.tfmnist.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not valid MNIST IDX data. The message is one line that starts with the path as the
 * caller gave it, then says what was found and what was expected, so that it can be printed as-is
 * by a command-line tool and still tell the user which file to replace.
 */
public final class MnistFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String file;

  public MnistFormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file.toString();
  }

  /** The offending file, as the path was given to the reader. */
  public String file() {
    return file;
  }
}
