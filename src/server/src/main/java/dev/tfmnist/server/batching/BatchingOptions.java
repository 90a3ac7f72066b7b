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
 */
public record BatchingOptions(int maxBatchSize, Duration batchTimeout, int threads) {
  /** TF Serving's default batch size of 32, a millisecond's wait and one batch at a time. */
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
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds options; unset values keep their defaults. */
  public static final class Builder {
    private int maxBatchSize = 32;
    private Duration batchTimeout = Duration.ofMillis(1);
    private int threads = 1;

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

    public BatchingOptions build() {
      return new BatchingOptions(maxBatchSize, batchTimeout, threads);
    }
  }
}
