package dev.tfmnist.data;

import java.util.Random;

/**
 * The order in which TF1's {@code DataSet.next_batch(batch_size)} hands out training items, with a
 * shuffle that other languages can reproduce.
 *
 * <h2>Batch rule (as TF1)</h2>
 *
 * <ul>
 *   <li>On the very first call the order 0..n-1 is shuffled.
 *   <li>A batch is the next {@code batchSize} entries of the current order.
 *   <li>When {@code position + batchSize > n}, the batch takes the remaining {@code n - position}
 *       entries, the epoch counter goes up, the order is shuffled again, and the batch is completed
 *       from the start of the new order. A batch that ends exactly at the end of an epoch does
 *       <em>not</em> reshuffle yet; that happens on the next call (so {@link #epoch()} stays the
 *       same until then), which is what TF1's strict {@code >} does.
 *   <li>Each reshuffle permutes the <em>current</em> order in place, as TF1 permuted its already
 *       shuffled arrays ({@code self._images = self.images[perm]}); it does not restart from
 *       0..n-1.
 * </ul>
 *
 * <h2>Shuffle (reproducible)</h2>
 *
 * <p>One {@code java.util.Random(seed)} serves the whole run. Each shuffle is this Fisher–Yates
 * loop on the current order:
 *
 * <pre>{@code
 * for (int i = n - 1; i > 0; i--) {
 *   int j = random.nextInt(i + 1);
 *   swap(order, i, j);
 * }
 * }</pre>
 *
 * <p>To reproduce it elsewhere, reimplement {@code java.util.Random} as specified in its javadoc:
 * the state is 48 bits, initialised to {@code (seed ^ 0x5DEECE66DL) & ((1L << 48) - 1)}; {@code
 * next(bits)} sets {@code state = (state * 0x5DEECE66DL + 0xBL) & ((1L << 48) - 1)} and returns the
 * top {@code bits} bits, {@code (int) (state >>> (48 - bits))}; {@code nextInt(bound)} draws {@code
 * r = next(31)} and, if {@code bound} is a power of two, returns {@code (int) ((bound * (long) r)
 * >> 31)}; otherwise it returns {@code r % bound} unless {@code r - r % bound + (bound - 1)}
 * overflows a signed 32-bit int, in which case it draws again. (numpy's {@code shuffle} cannot be
 * matched from Java, which is why this one is defined here.)
 *
 * <h2>State</h2>
 *
 * <p>{@link #state()} is {@code (size, seed, epoch, position)}. The shuffles done so far are 0
 * before the first batch and {@code epoch + 1} after it, so {@link #restore} rebuilds the order by
 * replaying them from the seed, in O(n · (epoch + 1)) time: milliseconds for MNIST's few epochs.
 *
 * <p>Not thread-safe: a sampler belongs to one training loop.
 */
public final class BatchSampler {
  private final int size;
  private final long seed;
  private final Random random;
  private final int[] order;
  private int epoch;
  private int position;

  /** A sampler over items 0..size-1 that has not served a batch yet. */
  public BatchSampler(int size, long seed) {
    this(new BatchSamplerState(size, seed, 0, 0));
  }

  private BatchSampler(BatchSamplerState state) {
    this.size = state.size();
    this.seed = state.seed();
    this.random = new Random(seed);
    this.order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    boolean started = state.epoch() > 0 || state.position() > 0;
    if (started) {
      for (int shuffles = state.epoch() + 1; shuffles > 0; shuffles--) {
        shuffle();
      }
    }
    this.epoch = state.epoch();
    this.position = state.position();
  }

  /** A sampler that continues exactly where the one that produced {@code state} was. */
  public static BatchSampler restore(BatchSamplerState state) {
    return new BatchSampler(state);
  }

  /** The next {@code batchSize} item indices, {@code 1 <= batchSize <= size()}. */
  public int[] next(int batchSize) {
    int[] batch = new int[checkBatchSize(batchSize)];
    fill(batch);
    return batch;
  }

  /** Like {@link #next(int)} with {@code indices.length} as the batch size, without allocating. */
  public void next(int[] indices) {
    checkBatchSize(indices.length);
    fill(indices);
  }

  private void fill(int[] batch) {
    int batchSize = batch.length;
    if (epoch == 0 && position == 0) {
      shuffle();
    }
    if (position + batchSize > size) {
      int rest = size - position;
      System.arraycopy(order, position, batch, 0, rest);
      epoch++;
      shuffle();
      position = batchSize - rest;
      System.arraycopy(order, 0, batch, rest, position);
    } else {
      System.arraycopy(order, position, batch, 0, batchSize);
      position += batchSize;
    }
  }

  private void shuffle() {
    for (int i = size - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }

  private int checkBatchSize(int batchSize) {
    // TF1 silently returns a short batch when batch_size > n; refusing is the honest port.
    if (batchSize < 1 || batchSize > size) {
      throw new IllegalArgumentException(
          "batch size " + batchSize + ", expected 1.." + size + " (the number of items)");
    }
    return batchSize;
  }

  /** Completed epochs, TF1's {@code epochs_completed}. */
  public int epoch() {
    return epoch;
  }

  /** Items already served from the current epoch, TF1's {@code index_in_epoch}. */
  public int position() {
    return position;
  }

  public int size() {
    return size;
  }

  public long seed() {
    return seed;
  }

  public BatchSamplerState state() {
    return new BatchSamplerState(size, seed, epoch, position);
  }
}
