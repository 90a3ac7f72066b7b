package dev.tfmnist.data;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.stream.Collectors;

/**
 * No source delivered a file. The one-line message names the file and then every source that was
 * tried with the reason it failed, because "download failed" alone leaves the user guessing whether
 * it was the network, a mirror, or a corrupted copy.
 */
public final class MnistDownloadException extends IOException {
  private static final long serialVersionUID = 1L;

  /** One source that was tried: a URL or an {@code npm pack} command, and why it failed. */
  public record Attempt(String source, String reason) implements Serializable {}

  private final String file;
  private final List<Attempt> attempts;

  public MnistDownloadException(String file, List<Attempt> attempts) {
    super(message(file, attempts));
    this.file = file;
    this.attempts = List.copyOf(attempts);
  }

  private static String message(String file, List<Attempt> attempts) {
    if (attempts.isEmpty()) {
      return file + ": no download source is configured";
    }
    return file
        + ": every source failed: "
        + attempts.stream()
            .map(a -> a.source() + " (" + a.reason() + ")")
            .collect(Collectors.joining("; "));
  }

  /** The file that could not be fetched, as a path in the target directory. */
  public String file() {
    return file;
  }

  public List<Attempt> attempts() {
    return attempts;
  }
}
