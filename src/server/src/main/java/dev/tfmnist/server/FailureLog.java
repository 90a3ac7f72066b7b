package dev.tfmnist.server;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's log of failed requests, bounded so that no client can flood it: at most one line
 * per kind of failure per interval, carrying how many more of that kind came since the last line.
 * Client errors are logged without a stack trace; a server error's first line of an interval
 * carries the cause's stack trace, which is what a maintainer needs.
 *
 * <pre>{@code
 * var failures = new FailureLog(Duration.ofMinutes(1));
 * failures.clientError("gRPC Predict: undecodable request", e.getMessage());
 * }</pre>
 */
public final class FailureLog {
  private static final Logger LOG = LoggerFactory.getLogger(FailureLog.class);

  private final long intervalNanos;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  /** One kind's current interval: when it started, and the failures not logged in it. */
  private static final class Window {
    volatile long start;
    final AtomicLong suppressed = new AtomicLong();

    Window(long start) {
      this.start = start;
    }
  }

  /**
   * A log that writes at most one line per kind of failure per {@code interval}.
   *
   * @param interval how long a kind stays quiet after a line; positive
   * @throws IllegalArgumentException if the interval is not positive
   */
  public FailureLog(Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, got " + interval);
    }
    this.intervalNanos = interval.toNanos();
  }

  /**
   * Records a failure the client caused (a request that does not decode, say): a WARN line
   * without a stack trace, unless this kind was logged within the interval.
   *
   * @param kind what failed, e.g. {@code gRPC Predict: undecodable request}; one line per kind
   * @param detail this occurrence's detail, in the line when it is logged
   * @return whether a line was written
   */
  public boolean clientError(String kind, String detail) {
    long more = admit(kind);
    if (more < 0) {
      return false;
    }
    LOG.warn("{}: {}{}", kind, oneLine(detail), more > 0 ? " (and " + more + " more since the"
        + " last such line)" : "");
    return true;
  }

  /**
   * Records a failure of the server's own (a bug, or TensorFlow failing): an ERROR line with the
   * cause's stack trace, unless this kind was logged within the interval.
   *
   * @param kind what failed, e.g. {@code internal error serving predict}
   * @param cause the failure
   * @return whether a line was written
   */
  public boolean serverError(String kind, Throwable cause) {
    long more = admit(kind + " " + cause.getClass().getName());
    if (more < 0) {
      return false;
    }
    LOG.error("{}: {}{}", kind, oneLine(String.valueOf(cause)), more > 0 ? " (and " + more
        + " more since the last such line)" : "", cause);
    return true;
  }

  /** -1 when the kind was logged within the interval, else how many went unlogged before. */
  private long admit(String kind) {
    long now = System.nanoTime();
    Window fresh = new Window(now);
    Window window = windows.putIfAbsent(kind, fresh);
    if (window == null) {
      return 0;
    }
    synchronized (window) {
      if (now - window.start < intervalNanos) {
        window.suppressed.incrementAndGet();
        return -1;
      }
      window.start = now;
      return window.suppressed.getAndSet(0);
    }
  }

  private static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("\\s*\\R\\s*", " ").strip();
  }
}
