package dev.tfmnist.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.tfmnist.device.ThreadPools;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;

/**
 * Keeps TensorFlow's native log lines (oneDNN notices, CPU feature hints, MLIR pass notes, CUDA
 * probing) out of the program's output unless asked for.
 *
 * <p>Two loggers write them: TensorFlow's own, which obeys {@code TF_CPP_MIN_LOG_LEVEL} read from
 * the C environment at its first message, and absl's, which prints a few lines before anyone can
 * configure it. So {@link #quiet()} sets the variable through libc before the native library
 * loads, then runs one tiny session with file descriptor 2 pointed at /dev/null, which is where the
 * once-per-process absl lines go. A user who sets {@code TF_CPP_MIN_LOG_LEVEL} gets TensorFlow's
 * logging exactly as they asked.
 */
public final class NativeLog {
  public static final String LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL";
  private static final int O_WRONLY = 1;

  private NativeLog() {}

  private interface LibC extends Library {
    int setenv(String name, String value, int overwrite);

    int dup(int fd);

    int dup2(int from, int to);

    int open(String path, int flags);

    int close(int fd);
  }

  /**
   * Quiets native logging unless {@code TF_CPP_MIN_LOG_LEVEL} is set or {@code verbose}. The
   * session it runs for that is the process's first, so it is given the program's {@code threads}
   * (TensorFlow keeps the first session's thread pools for the whole process).
   */
  public static void configure(boolean verbose, ThreadPools threads) {
    if (verbose || System.getenv(LEVEL_VARIABLE) != null) {
      return;
    }
    quiet(threads);
  }

  private static void quiet(ThreadPools threads) {
    LibC libc;
    try {
      libc = Native.load("c", LibC.class);
    } catch (LinkageError noLibC) {
      return;  // not a Unix: TensorFlow logs as it always does
    }
    libc.setenv(LEVEL_VARIABLE, "3", 0);
    System.err.flush();
    int savedStderr = libc.dup(2);
    int devNull = libc.open("/dev/null", O_WRONLY);
    if (savedStderr < 0 || devNull < 0) {
      return;
    }
    try {
      libc.dup2(devNull, 2);
      runOneSession(threads);
    } finally {
      libc.dup2(savedStderr, 2);
      libc.close(savedStderr);
      libc.close(devNull);
    }
  }

  /** Loads TensorFlow and runs a trivial graph: what makes absl print its one-time lines. */
  private static void runOneSession(ThreadPools threads) {
    try (var graph = new Graph()) {
      var tf = Ops.create(graph);
      var one = tf.constant(1f);
      try (var session = new Session(graph, threads.sessionConfig());
          var result = session.runner().fetch(one).run()) {
        // nothing to look at: the run itself is the point
      }
    }
  }
}
