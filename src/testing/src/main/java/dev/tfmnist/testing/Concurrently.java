package dev.tfmnist.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs the same work on several threads at once and gathers what each returns, in order. */
public final class Concurrently {
  private Concurrently() {}

  /** What one thread does; {@code thread} is 0 .. threads - 1. */
  public interface Work<T> {
    T run(int thread) throws Exception;
  }

  /** Starts all threads together and waits for all; the first failure is rethrown. */
  public static <T> List<T> onThreads(int threads, Work<T> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      var futures = new ArrayList<Future<T>>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> work.run(thread)));
      }
      var results = new ArrayList<T>();
      for (Future<T> future : futures) {
        results.add(future.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
