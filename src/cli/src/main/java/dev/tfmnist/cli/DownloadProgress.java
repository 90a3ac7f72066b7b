package dev.tfmnist.cli;

import dev.tfmnist.data.DownloadListener;
import java.io.PrintWriter;

/** A progress bar (or plain lines) per MNIST file being fetched. */
final class DownloadProgress implements DownloadListener {
  private static final long MB = 1 << 20;
  private final Progress.Mode mode;
  private final PrintWriter err;
  private Progress current;

  DownloadProgress(Progress.Mode mode, PrintWriter err) {
    this.mode = mode;
    this.err = err;
  }

  @Override
  public void started(String file, String source, long totalBytes) {
    // An unknown size still gets a bar; it just cannot say how far along it is.
    current = Progress.start(mode, file, Math.max(totalBytes, 1), "MB", MB, err);
  }

  @Override
  public void progress(long bytes) {
    if (current != null) {
      current.update(bytes, null);
    }
  }

  @Override
  public void finished() {
    close();
  }

  @Override
  public void failed(String reason) {
    close();
  }

  private void close() {
    if (current != null) {
      current.close();
      current = null;
    }
  }
}
