package dev.tfmnist.server.batching;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link DynamicBatcher} groups requests, named after TensorFlow Serving's batching
 * parameters.
 *
 * <p>Two ways to form a batch. Without a timeout ({@link #waitsForCompany()} false, the
 * default), a request runs at once when fewer than {@code threads} batches are running, and the
 * requests that arrive while every thread is busy form the next batch, taken whole as soon as a
 * thread is free: a batch never waits for company, so batching costs no latency at low load and
 * batches grow by themselves under load (the way Triton's dynamic batcher works without a queue
 * delay). With {@link Builder#batchTimeout} (TF Serving's {@code batch_timeout_micros}), the
 * first request of a batch waits up to that long for company.
 *
 * <pre>{@code
 * var adaptive = BatchingOptions.builder().maxBatchSize(32).threads(2).build();
 * var tfServing = BatchingOptions.builder().maxBatchSize(32).batchTimeout(Duration.ofMillis(1)).build();
 * }</pre>
 *
 * @param maxBatchSize at most this many rows run together; a request larger than that runs alone
 * @param batchTimeout how long the first request of a batch waits for company; zero when
 *     {@code waitsForCompany} is false
 * @param threads how many batches run at once
 * @param maxEnqueuedBatches how many full batches may wait; a request beyond that is refused
 *     with {@link QueueFullException} (backpressure, TF Serving's max_enqueued_batches)
 * @param waitsForCompany whether a batch waits up to {@code batchTimeout} for company (TF
 *     Serving's way), or starts as soon as a thread is free
 */
public record BatchingOptions(int maxBatchSize, Duration batchTimeout, int threads,
    int maxEnqueuedBatches, boolean waitsForCompany) {
  /**
   * TF Serving's default batch size of 32, no waiting for company, one batch at a time and at
   * most 10 batches waiting.
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
    private Duration batchTimeout;
    private int threads = 1;
    private int maxEnqueuedBatches = 10;

    private Builder() {}

    public Builder maxBatchSize(int maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
      return this;
    }

    /**
     * Makes the first request of a batch wait up to {@code batchTimeout} for company, as TF
     * Serving's {@code batch_timeout_micros} does; without it a batch never waits.
     *
     * @param batchTimeout the longest wait, zero or more
     * @return this builder
     */
    public Builder batchTimeout(Duration batchTimeout) {
      this.batchTimeout = Objects.requireNonNull(batchTimeout, "batchTimeout");
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
      return new BatchingOptions(maxBatchSize, batchTimeout == null ? Duration.ZERO : batchTimeout,
          threads, maxEnqueuedBatches, batchTimeout != null);
    }
  }
}
