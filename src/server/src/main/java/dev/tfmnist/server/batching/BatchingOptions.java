package dev.tfmnist.server.batching;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link DynamicBatcher} groups requests, named after TensorFlow Serving's batching
 * parameters.
 *
 * @param maxBatchSize at most this many rows run together; a request larger than that runs alone
 * @param batchTimeout how long the first request of a batch waits for company
 * @param threads how many batches run at once
 * @param maxEnqueuedBatches how many full batches may wait; a request beyond that is refused
 *     with {@link QueueFullException} (backpressure, TF Serving's max_enqueued_batches)
 */
public record BatchingOptions(int maxBatchSize, Duration batchTimeout, int threads,
    int maxEnqueuedBatches) {
  /**
   * TF Serving's default batch size of 32, a millisecond's wait, one batch at a time and at most
   * 10 batches waiting.
   */
  public static final BatchingOptions DEFAULT = builder().build();

  public BatchingOptions {
    Objects.requireNonNull(batchTimeout, "batchTimeout");
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max batch size must be at least 1, got " + maxBatchSize);
    }
    if (batchTimeout.isNegative()) {
      throw new IllegalArgumentException("batch timeout must not be negative, got " + batchTimeout);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("batching threads must be at least 1, got " + threads);
    }
    if (maxEnqueuedBatches < 1) {
      throw new IllegalArgumentException("max enqueued batches must be at least 1, got "
          + maxEnqueuedBatches);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds options; unset values keep their defaults. */
  public static final class Builder {
    private int maxBatchSize = 32;
    private Duration batchTimeout = Duration.ofMillis(1);
    private int threads = 1;
    private int maxEnqueuedBatches = 10;

    private Builder() {}

    public Builder maxBatchSize(int maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
      return this;
    }

    public Builder batchTimeout(Duration batchTimeout) {
      this.batchTimeout = batchTimeout;
      return this;
    }

    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    public Builder maxEnqueuedBatches(int batches) {
      this.maxEnqueuedBatches = batches;
      return this;
    }

    public BatchingOptions build() {
      return new BatchingOptions(maxBatchSize, batchTimeout, threads, maxEnqueuedBatches);
    }
  }
}
