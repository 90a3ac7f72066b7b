package dev.tfmnist.data;

import java.io.IOException;
import java.nio.channels.UnresolvedAddressException;

/** Why a source failed, as the one line that {@link MnistDownloadException} lists. */
final class FailureReason {
  private static final int MAX_LENGTH = 300;

  private FailureReason() {}

  /**
   * The exception's class and the first message in its cause chain. The HTTP client often puts
   * the useful part on a cause, or has no message at all (an unknown host is a message-less
   * ConnectException caused by a message-less UnresolvedAddressException).
   */
  static String of(Throwable error) {
    String message = null;
    Throwable root = error;
    int depth = 0;
    for (Throwable t = error; t != null && depth < 20; t = t.getCause(), depth++) { // no cycles
      if (message == null) {
        message = t.getMessage();
      }
      root = t;
    }
    if (message == null && root instanceof UnresolvedAddressException) {
      message = "host name not resolved";
    } else if (message == null && root != error) {
      message = root.getClass().getSimpleName();
    }
    // Our own reasons are plain IOExceptions whose class name would add nothing.
    String text =
        error.getClass() == IOException.class && message != null
            ? message
            : error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    text = text.replaceAll("\\s+", " ").trim();
    return text.length() > MAX_LENGTH ? text.substring(0, MAX_LENGTH) + "..." : text;
  }
}
