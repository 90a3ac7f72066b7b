package dev.tfmnist.server.batching;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a batcher has done so far.
 *
 * @param requests requests submitted
 * @param batches TensorFlow runs made for them
 * @param batchSizes how many runs had each size, in rows (runs of signatures without a batch
 *     dimension are counted in {@code batches} only)
 */
public record BatchStats(long requests, long batches, SortedMap<Integer, Long> batchSizes) {

  public BatchStats {
    batchSizes = Collections.unmodifiableSortedMap(new TreeMap<>(batchSizes));
  }

  /** The largest batch run so far, 0 before the first. */
  public int largestBatch() {
    return batchSizes.isEmpty() ? 0 : batchSizes.lastKey();
  }

  /** Runs of more than one row. */
  public long batchesLargerThanOne() {
    return batchSizes.tailMap(2).values().stream().mapToLong(Long::longValue).sum();
  }
}
