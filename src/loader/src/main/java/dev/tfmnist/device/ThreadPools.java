package dev.tfmnist.device;

import org.tensorflow.proto.ConfigProto;

/**
 * TensorFlow's CPU thread pools: how many threads one op may use (intra-op) and how many ops run
 * at once (inter-op).
 *
 * <p>The pools are process-wide: the first session of a process creates them with its options,
 * and every later session shares them whatever its own options say. So every session a program
 * makes, down to the one that quiets the native log and the one that lists the devices, must be
 * given the same settings, or the user's choice is silently lost.
 *
 * @param intraOpThreads threads per op, 0 for TensorFlow's choice (the core count)
 * @param interOpThreads ops at once, 0 for TensorFlow's choice (the core count)
 */
public record ThreadPools(int intraOpThreads, int interOpThreads) {
  /** TensorFlow's defaults. */
  public static final ThreadPools DEFAULT = new ThreadPools(0, 0);

  /**
   * Checks the thread counts.
   *
   * @param intraOpThreads threads per op, 0 for TensorFlow's choice
   * @param interOpThreads ops at once, 0 for TensorFlow's choice
   * @throws IllegalArgumentException if either count is negative
   */
  public ThreadPools {
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intra-op threads must be 0 (TensorFlow's choice) or more, got "
          + intraOpThreads);
    }
    if (interOpThreads < 0) {
      throw new IllegalArgumentException("inter-op threads must be 0 (TensorFlow's choice) or more, got "
          + interOpThreads);
    }
  }

  /**
   * Writes these settings into {@code config}, leaving its other fields as they are.
   *
   * @param config the builder to set the thread counts of
   * @return {@code config} itself, for chaining
   */
  public ConfigProto.Builder applyTo(ConfigProto.Builder config) {
    return config.setIntraOpParallelismThreads(intraOpThreads)
        .setInterOpParallelismThreads(interOpThreads);
  }

  /**
   * A session config with these settings and nothing else, e.g. for a session that only quiets the
   * native log.
   *
   * @return a new config
   */
  public ConfigProto sessionConfig() {
    return applyTo(ConfigProto.newBuilder()).build();
  }
}
