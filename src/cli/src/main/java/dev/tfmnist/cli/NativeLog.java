package dev.tfmnist.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import dev.tfmnist.device.ThreadPools;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;

/**
 * Keeps TensorFlow's native log lines (oneDNN notices, CPU feature hints, MLIR pass notes, CUDA
 * probing, errors it also reports to the program) out of the program's output unless asked for.
 *
 * <p>Two loggers write them to file descriptor 2: TensorFlow's own, which obeys {@code
 * TF_CPP_MIN_LOG_LEVEL} read from the C environment at its first message, and absl's, which
 * nothing outside the native code configures and which writes at any time: a few lines at the
 * first session, and later ones such as the MLIR bridge's {@code E0000 ...
 * mlir_bridge_pass_util.cc:68] Failed to parse ...: Op type not registered ...} when a model uses
 * an op this TensorFlow lacks, an error the program reports in its own words anyway. So {@link
 * #quiet} sets the variable through libc before the native library loads, gives Java a stderr of
 * its own (a duplicate of descriptor 2, written with {@code write(2)} so that it shares the
 * terminal, pipe or file and its offset exactly as descriptor 2 did) as {@link System#err}, and
 * points descriptor 2 at /dev/null for the rest of the process. What native code writes there is
 * gone for good, fatal messages and the JVM's own warnings included: {@code --tf-log} shows it.
 *
 * <p>If Java's stderr cannot be moved, it falls back to pointing descriptor 2 at /dev/null only
 * while one tiny session runs, which is where the once-per-process absl lines go; later absl lines
 * then reach stderr. A user who sets {@code TF_CPP_MIN_LOG_LEVEL} gets TensorFlow's logging
 * exactly as they asked, and descriptor 2 is left alone.
 *
 * <p>Whatever prints to stderr must do so through {@link System#err} as it is at the time of
 * printing, not through a stream taken from it before {@link #configure}: {@link #systemErr()} is
 * such a stream.
 */
public final class NativeLog {
  public static final String LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL";
  private static final int O_WRONLY = 1;
  private static final int EINTR = 4;

  /** Whether {@link #quiet} has run: a second run would find descriptor 2 already /dev/null. */
  private static boolean quieted;

  private NativeLog() {}

  private interface LibC extends Library {
    int setenv(String name, String value, int overwrite);

    int dup(int fd);

    int dup2(int from, int to);

    int open(String path, int flags);

    int close(int fd);

    NativeLong write(int fd, byte[] bytes, NativeLong count) throws LastErrorException;
  }

  /**
   * Quiets native logging unless {@code TF_CPP_MIN_LOG_LEVEL} is set or {@code verbose}; then
   * {@link System#err} may be a new stream, so call it before taking a stream from there (or take
   * {@link #systemErr()}). When it cannot quiet for good, it runs a session, the process's first,
   * so it is given the program's {@code threads} (TensorFlow keeps the first session's thread pools
   * for the whole process). A second call changes nothing.
   */
  public static synchronized void configure(boolean verbose, ThreadPools threads) {
    if (quieted || verbose || System.getenv(LEVEL_VARIABLE) != null) {
      return;
    }
    quieted = true;
    quiet(threads);
  }

  /**
   * {@link System#err} as it is at each write, not as it was when this was made: the stream for a
   * program's error writer, made before {@link #configure} may replace {@code System.err}.
   */
  public static OutputStream systemErr() {
    return new OutputStream() {
      @Override
      public void write(int b) {
        System.err.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        System.err.write(b, off, len);
      }

      @Override
      public void flush() {
        System.err.flush();
      }
    };
  }

  private static void quiet(ThreadPools threads) {
    LibC libc;
    try {
      libc = Native.load("c", LibC.class);
    } catch (LinkageError noLibC) {
      return;  // not a Unix: TensorFlow logs as it always does
    }
    libc.setenv(LEVEL_VARIABLE, "3", 0);
    int devNull = libc.open("/dev/null", O_WRONLY);
    if (devNull < 0) {
      return;
    }
    int savedStderr = libc.dup(2);
    if (savedStderr < 0) {
      libc.close(devNull);
      return;
    }
    PrintStream javaStderr = stderrOn(libc, savedStderr);
    if (javaStderr != null) {
      // Java's stderr first, so that no line printed meanwhile ends in /dev/null
      PrintStream old = System.err;
      System.setErr(javaStderr);
      old.flush();
      libc.dup2(devNull, 2);
      libc.close(devNull);
      return;  // for good: savedStderr stays open as Java's stderr
    }
    System.err.flush();
    try {
      libc.dup2(devNull, 2);
      runOneSession(threads);
    } finally {
      libc.dup2(savedStderr, 2);
      libc.close(savedStderr);
      libc.close(devNull);
    }
  }

  /**
   * A PrintStream like the JDK's System.err (same charset, small buffer, flushed at each line)
   * writing to {@code fd}, or null if writing there fails.
   */
  private static PrintStream stderrOn(LibC libc, int fd) {
    var out = new DescriptorOutputStream(libc, fd);
    try {
      out.write(new byte[0], 0, 0);  // binds write(2) and checks the descriptor
    } catch (IOException | LinkageError e) {
      return null;
    }
    return new PrintStream(new BufferedOutputStream(out, 128), true, stderrCharset());
  }

  /**
   * The charset the JDK gives System.err: {@code stderr.encoding} (JDK 19 on), {@code
   * sun.stderr.encoding} before, or the default charset.
   */
  private static Charset stderrCharset() {
    for (String property : new String[] {"stderr.encoding", "sun.stderr.encoding"}) {
      String name = System.getProperty(property);
      if (name != null) {
        try {
          return Charset.forName(name);
        } catch (IllegalArgumentException unsupported) {
          // as the JDK does: the default charset instead
        }
      }
    }
    return Charset.defaultCharset();
  }

  /** Writes to a file descriptor with write(2), as FileOutputStream does to FileDescriptor.err. */
  private static final class DescriptorOutputStream extends OutputStream {
    private final LibC libc;
    private final int fd;

    DescriptorOutputStream(LibC libc, int fd) {
      this.libc = libc;
      this.fd = fd;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      byte[] rest = off == 0 && len == b.length ? b : Arrays.copyOfRange(b, off, off + len);
      do {  // once even for no bytes: stderrOn's check
        try {
          long written = libc.write(fd, rest, new NativeLong(rest.length)).longValue();
          rest = Arrays.copyOfRange(rest, (int) written, rest.length);
        } catch (LastErrorException e) {
          if (e.getErrorCode() != EINTR) {
            throw new IOException("cannot write to stderr: " + e.getMessage(), e);
          }
        }
      } while (rest.length > 0);
    }

    // close() leaves the descriptor open: closing System.err must not free a descriptor number
    // that native code may reuse while Java still writes here
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
