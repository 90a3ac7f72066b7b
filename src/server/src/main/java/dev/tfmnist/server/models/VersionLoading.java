package dev.tfmnist.server.models;

import dev.tfmnist.loader.LoadedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * TF Serving's loader step: a version directory becomes a loaded, warmed-up model, and a version
 * that fails to load is tried again a minute apart, at most {@link #LOAD_TRIES} times in all (TF
 * Serving's max_num_load_retries and load_retry_interval), and afresh once it leaves the disk or
 * the policy. One instance per model: the retry counts are that model's.
 */
final class VersionLoading {
  /** Tries of a version that fails to load, a minute apart; TF Serving's default is 5 retries. */
  static final int LOAD_TRIES = 6;
  static final Duration LOAD_RETRY_INTERVAL = Duration.ofMinutes(1);

  private record Failure(int tries, long lastNanos) {}

  /**
   * A version that loaded.
   *
   * @param model the loaded model, the caller's to close
   * @param warmUpRuns runs made to warm it up
   * @param took how long loading and warming up took
   */
  record Loaded(LoadedModel model, int warmUpRuns, Duration took) {}

  private final ModelManager.VersionLoader loader;
  private final int warmUpRows;
  private final Map<Long, Failure> failed = new ConcurrentHashMap<>();

  VersionLoading(ModelManager.VersionLoader loader, int warmUpRows) {
    this.loader = loader;
    this.warmUpRows = warmUpRows;
  }

  /** Whether a version should be tried now: never failed, or due for another try. */
  boolean shouldTry(long version) {
    Failure failure = failed.get(version);
    return failure == null || (failure.tries() < LOAD_TRIES
        && System.nanoTime() - failure.lastNanos() >= LOAD_RETRY_INTERVAL.toNanos());
  }

  /** Forgets the failures of versions that left the disk or the policy. */
  void retainOnly(Set<Long> versions) {
    failed.keySet().retainAll(versions);
  }

  /**
   * Loads and warms up a version; a failure is counted toward its retries.
   *
   * @throws IOException if the SavedModel cannot be read
   * @throws RuntimeException if the loader refuses it (a bad graph, say)
   */
  Loaded load(long version, Path dir) throws IOException {
    long start = System.nanoTime();
    LoadedModel model;
    try {
      model = loader.load(dir);
    } catch (IOException | RuntimeException e) {
      Failure before = failed.get(version);
      failed.put(version, new Failure(before == null ? 1 : before.tries() + 1,
          System.nanoTime()));
      throw e;
    }
    int runs;
    try {
      runs = WarmUp.run(model, warmUpRows);
    } catch (Error e) {
      model.close();  // out of memory while warming up: the model must not outlive this
      throw e;
    }
    failed.remove(version);
    return new Loaded(model, runs, Duration.ofNanos(System.nanoTime() - start));
  }
}
