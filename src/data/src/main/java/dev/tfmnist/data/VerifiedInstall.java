package dev.tfmnist.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Puts a downloaded file in place only once it passed its check. The download goes to a hidden
 * temp file in the target's directory, so that the rename cannot cross file systems and can be
 * atomic: readers see no file or the whole file, never a partial one that a later run would trust.
 * Whatever goes wrong, the temp file is deleted (a process killed mid-download can still leave a
 * {@code .part} file behind, under a name nothing reads).
 */
final class VerifiedInstall {
  private VerifiedInstall() {}

  /** Writes the file's content into {@code temp}, which exists and is empty. */
  interface Download {
    void writeTo(Path temp, Progress progress) throws IOException;
  }

  /** Throws an IOException saying what is wrong with the downloaded file, or returns. */
  interface Check {
    void verify(Path temp) throws IOException;
  }

  /** What a download reports: {@code started} once data begins to arrive, then running totals. */
  interface Progress {
    /** @param totalBytes the expected size, or -1 when the source does not say */
    void started(long totalBytes);

    void progress(long bytes);
  }

  /**
   * Downloads {@code target} from {@code source} (a name for the listener), checks it and renames
   * it into place. The listener hears {@code started} when the download says so, then {@code
   * progress}, then exactly one of {@code finished} or {@code failed}; a download that fails
   * before it starts (a refused connection, an HTTP error) is not reported to it at all.
   */
  static void install(Path target, String source, Download download, Check check,
      DownloadListener listener) throws IOException {
    Path temp = Files.createTempFile(
        target.toAbsolutePath().getParent(), "." + target.getFileName() + ".", ".part");
    var reporter = new Reporter(target.getFileName().toString(), source, listener);
    try {
      download.writeTo(temp, reporter);
      check.verify(temp);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      if (reporter.started) {
        listener.failed(FailureReason.of(e));
      }
      throw e;
    } finally {
      Files.deleteIfExists(temp);
    }
    listener.finished();
  }

  /** Passes a download's reports on, remembering whether it started. */
  private static final class Reporter implements Progress {
    private final String file;
    private final String source;
    private final DownloadListener listener;
    private boolean started;

    Reporter(String file, String source, DownloadListener listener) {
      this.file = file;
      this.source = source;
      this.listener = listener;
    }

    @Override
    public void started(long totalBytes) {
      started = true;
      listener.started(file, source, totalBytes);
    }

    @Override
    public void progress(long bytes) {
      listener.progress(bytes);
    }
  }
}
