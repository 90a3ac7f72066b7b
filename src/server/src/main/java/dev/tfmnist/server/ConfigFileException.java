package dev.tfmnist.server;

/**
 * A config file (TF Serving's model config, batching parameters or monitoring config) that cannot
 * be read or is not valid. The message is one line that names the file, and the line and field
 * when there is one: what a program prints as it is.
 */
public class ConfigFileException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * @param message one line, starting with the file
   */
  public ConfigFileException(String message) {
    super(message);
  }
}
