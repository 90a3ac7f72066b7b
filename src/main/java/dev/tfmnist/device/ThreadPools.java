package dev.tfmnist.device;

import org.tensorflow.proto.ConfigProto;

/**
 * TensorFlow's CPU thread pools: how many threads one op may use (intra-op), how many ops run at
 * once (inter-op), and whether idle threads spin before they sleep.
 *
 * <p>The pools are process-wide: the first session of a process creates them with its options,
 * and every later session shares them whatever its own options say. So every session a program
 * makes, down to the one that quiets the native log and the one that lists the devices, must be
 * given the same settings, or the user's choice is silently lost.
 *
 * @param intraOpThreads threads per op, 0 for TensorFlow's choice (the core count)
 * @param interOpThreads ops at once, 0 for TensorFlow's choice (the core count)
 * @param spinWait whether idle pool threads spin before sleeping (TensorFlow's default): lower
 *     latency for back-to-back work, but CPU taken from other threads of the process meanwhile
 */
public record ThreadPools(int intraOpThreads, int interOpThreads, boolean spinWait) {
  /** TensorFlow's defaults. */
  public static final ThreadPools DEFAULT = new ThreadPools(0, 0, true);

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

  /** Writes these settings into {@code config}. */
  public ConfigProto.Builder applyTo(ConfigProto.Builder config) {
    config.setIntraOpParallelismThreads(intraOpThreads)
        .setInterOpParallelismThreads(interOpThreads);
    config.getExperimentalBuilder().setDisableThreadSpinning(!spinWait);
    return config;
  }

  /** A session config with these settings and nothing else. */
  public ConfigProto sessionConfig() {
    return applyTo(ConfigProto.newBuilder()).build();
  }
}
