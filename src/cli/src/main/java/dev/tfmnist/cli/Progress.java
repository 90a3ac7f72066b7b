package dev.tfmnist.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of one long task on stderr: a live bar (rate, ETA, a live metric) on a terminal, and
 * plain lines every tenth of the way elsewhere, so CI logs and pipes get a readable record instead
 * of carriage returns.
 */
abstract class Progress implements AutoCloseable {

  /** How progress is shown: {@code auto} picks {@code bar} on a terminal and {@code lines} otherwise. */
  enum Mode { AUTO, BAR, LINES, NONE }

  /**
   * @param unit what is counted, as shown: "steps", "MB"
   * @param unitSize how many counted things make one shown unit (1 << 20 to count bytes in MB)
   */
  static Progress start(Mode mode, String task, long total, String unit, long unitSize,
      PrintWriter err) {
    Mode resolved = mode == Mode.AUTO ? (System.console() != null ? Mode.BAR : Mode.LINES) : mode;
    return switch (resolved) {
      case BAR -> new Bar(task, total, unit, unitSize);
      case LINES -> new Lines(task, total, unit, unitSize, err);
      default -> new Progress() {
        @Override
        void update(long done, String metric) {}

        @Override
        public void close() {}
      };
    };
  }

  /** {@code done} units out of the total, with an optional metric such as {@code loss 0.4213}. */
  abstract void update(long done, String metric);

  /** Prints a line of output without garbling the bar. */
  void println(PrintWriter out, String line) {
    out.println(line);
    out.flush();
  }

  @Override
  public abstract void close();

  private static final class Bar extends Progress {
    private final ProgressBar bar;
    private final PrintStream stderr = System.err;

    Bar(String task, long total, String unit, long unitSize) {
      bar = new ProgressBarBuilder()
          .setTaskName(task)
          .setInitialMax(total)
          .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
          .setConsumer(new ConsoleProgressBarConsumer(stderr))
          .setUnit(" " + unit, unitSize)
          .showSpeed()
          .setUpdateIntervalMillis(250)
          .build();
    }

    @Override
    void update(long done, String metric) {
      bar.stepTo(done);
      if (metric != null) {
        bar.setExtraMessage(metric);
      }
    }

    @Override
    void println(PrintWriter out, String line) {
      stderr.print("\r\033[2K");  // erase the bar; it redraws itself under the line
      stderr.flush();
      super.println(out, line);
    }

    @Override
    public void close() {
      bar.close();
    }
  }

  private static final class Lines extends Progress {
    private final String task;
    private final long total;
    private final String unit;
    private final double unitSize;
    private final PrintWriter err;
    private final long started = System.nanoTime();
    private long nextReport;

    Lines(String task, long total, String unit, long unitSize, PrintWriter err) {
      this.task = task;
      this.total = total;
      this.unit = unit;
      this.unitSize = unitSize;
      this.err = err;
      this.nextReport = step();
    }

    private long step() {
      return Math.max(1, total / 10);
    }

    @Override
    void update(long done, String metric) {
      if (done < nextReport && done < total) {
        return;
      }
      while (nextReport <= done) {
        nextReport += step();
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      double rate = done / Math.max(seconds, 1e-9);
      long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
      String amount = unitSize == 1
          ? String.format(Locale.ROOT, "%d/%d", done, total)
          : String.format(Locale.ROOT, "%.1f/%.1f", done / unitSize, total / unitSize);
      err.println(String.format(Locale.ROOT, "%s %s %s  %.1f %s/s  ETA %s%s",
          task, amount, unit, rate / unitSize, unit, clock(eta),
          metric == null ? "" : "  " + metric));
      err.flush();
    }

    @Override
    public void close() {}

    private static String clock(long seconds) {
      var d = Duration.ofSeconds(seconds);
      return String.format(Locale.ROOT, "%d:%02d", d.toMinutes(), d.toSecondsPart());
    }
  }
}
