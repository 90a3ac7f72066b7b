package dev.tfmnist.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The Java side of {@code tools/bench}: one subcommand per measurement, each run in a process of
 * its own (JMH forks one more per benchmark) so that its peak RSS belongs to it alone. Results go
 * to stdout as {@code result KEY VALUE} lines, which tools/bench collects; everything else goes
 * to stderr or JMH's log file.
 *
 * <pre>
 * BenchMain matmul --size 4096 --reps 5 --warmup 1 [--intra N --inter N]
 * BenchMain train  --data-dir DIR --jmh-log FILE [--quick] [--impls trainer,reuse] [--intra N --inter N]
 * BenchMain infer  --model DIR --data-dir DIR --jmh-log FILE [--quick] [--apis predict,...] [--intra N --inter N]
 * BenchMain eval   --data-dir DIR --chunks 100,1000,10000 [--intra N --inter N]
 * BenchMain profile --data-dir DIR [--what train|infer] [--batch N] [--steps N] [--by type|node]
 * BenchMain load   --url URL --data-dir DIR --concurrency 1,16,64 --seconds S --warmup-seconds W
 * </pre>
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help")) {
      System.out.println("usage: BenchMain matmul|train|infer|load|versions [options]; see tools/bench --help");
      return;
    }
    var options = Args.parse(Arrays.copyOfRange(args, 1, args.length));
    // this process's first session: it fixes TensorFlow's pools for the in-process subcommands
    dev.tfmnist.cli.NativeLog.configure(false, threads(options));
    try {
      switch (args[0]) {
        case "matmul" -> MatMulCeiling.run(options);
        case "train" -> train(options);
        case "infer" -> infer(options);
        case "load" -> ServingLoad.run(options);
        case "versions" -> VersionCycles.run(options);
        case "eval" -> eval(options);
        case "profile" -> StepProfile.run(options);
        default -> throw new IllegalArgumentException("unknown subcommand " + args[0]);
      }
    } catch (IllegalArgumentException e) {
      System.err.println("BenchMain " + args[0] + ": error: " + e.getMessage());
      System.exit(2);
    }
    System.exit(0);  // TensorFlow's and HttpClient's threads must not keep the JVM up
  }

  static void result(String key, double value) {
    String text = value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.6g", value);
    System.out.println("result " + key + " " + text);
    System.out.flush();
  }

  static void result(String key, String value) {
    System.out.println("result " + key + " " + value);
    System.out.flush();
  }

  // -------------------------------------------------------------------------------------------
  // training: JMH, one step of MnistTrainer per operation

  private static void train(Args a) throws RunnerException, IOException {
    boolean quick = a.flag("quick");
    Path rss = Files.createTempFile("bench-rss-", ".txt");
    var builder = jmh(a, rss, quick ? 1 : 2, quick ? 2 : 3, quick ? 2 : 5, quick ? 2 : 4)
        .include(TrainingBenchmark.class.getName() + ".step")
        .param("dataDir", a.required("data-dir"))
        .param("impl", a.get("impls", "trainer").split(","));
    for (RunResult r : run(builder)) {
      String impl = r.getParams().getParam("impl");
      double msPerStep = r.getPrimaryResult().getScore();
      String key = "train.java." + impl + precisionSuffix(a);
      result(key + ".ms_per_step", msPerStep);
      result(key + ".ms_per_step_error", r.getPrimaryResult().getScoreError());
      result(key + ".images_per_s", TrainingBenchmark.BATCH * 1000.0 / msPerStep);
      result(key + ".steps_measured", measuredOps(r));
    }
    reportRss(rss, "train.java" + precisionSuffix(a) + ".");
  }

  // -------------------------------------------------------------------------------------------
  // evaluation chunk sizes (not in the table: evidence for proposals)

  private static void eval(Args a) throws RunnerException, IOException {
    Path rss = Files.createTempFile("bench-rss-", ".txt");
    var builder = jmh(a, rss, 1, 3, 3, 3)
        .include(EvaluationBenchmark.class.getName() + ".evaluate")
        .param("dataDir", a.required("data-dir"))
        .param("evalChunk", a.get("chunks", "100,1000,10000").split(","));
    for (RunResult r : run(builder)) {
      String key = "eval.java.chunk" + r.getParams().getParam("evalChunk");
      result(key + ".ms", r.getPrimaryResult().getScore());
      result(key + ".images_per_s", 10000 * 1000.0 / r.getPrimaryResult().getScore());
    }
    reportRss(rss, "eval.java.");
  }

  // -------------------------------------------------------------------------------------------
  // inference: JMH, Throughput at batch 1, 32, 1000 and SampleTime at batch 1

  private static void infer(Args a) throws RunnerException, IOException {
    boolean quick = a.flag("quick");
    Path rss = Files.createTempFile("bench-rss-", ".txt");
    String[] apis = a.get("apis", "predict").split(",");
    String[] batches = a.get("batches", "1,32,1000").split(",");
    int warmupIterations = quick ? 1 : 3;
    int iterations = quick ? 2 : 5;
    int seconds = quick ? 1 : 2;
    var throughput = jmh(a, rss, warmupIterations, seconds, iterations, seconds)
        .include(InferenceBenchmark.class.getName() + ".predict")
        .mode(org.openjdk.jmh.annotations.Mode.Throughput)
        .timeUnit(java.util.concurrent.TimeUnit.SECONDS)
        .param("model", a.required("model"))
        .param("dataDir", a.required("data-dir"))
        .param("batch", batches)
        .param("api", apis);
    for (RunResult r : run(throughput)) {
      String key = "infer.java." + r.getParams().getParam("api") + precisionSuffix(a) + ".b"
          + r.getParams().getParam("batch");
      int batch = Integer.parseInt(r.getParams().getParam("batch"));
      double callsPerSecond = r.getPrimaryResult().getScore();
      result(key + ".calls_per_s", callsPerSecond);
      result(key + ".images_per_s", callsPerSecond * batch);
    }
    if (a.flag("no-latency")) {
      reportRss(rss, "infer.java." + String.join("-", apis) + precisionSuffix(a) + ".");
      return;
    }
    var latency = jmh(a, rss, warmupIterations, seconds, iterations, seconds)
        .include(InferenceBenchmark.class.getName() + ".predict")
        .mode(org.openjdk.jmh.annotations.Mode.SampleTime)
        .timeUnit(java.util.concurrent.TimeUnit.MICROSECONDS)
        .param("model", a.required("model"))
        .param("dataDir", a.required("data-dir"))
        .param("batch", "1")
        .param("api", apis);
    for (RunResult r : run(latency)) {
      String key = "infer.java." + r.getParams().getParam("api") + precisionSuffix(a) + ".b1";
      var stats = r.getPrimaryResult().getStatistics();
      result(key + ".p50_ms", stats.getPercentile(50.0) / 1000.0);
      result(key + ".p99_ms", stats.getPercentile(99.0) / 1000.0);
      result(key + ".mean_ms", stats.getMean() / 1000.0);
      result(key + ".samples", stats.getN());
    }
    reportRss(rss, "infer.java.");
  }

  // -------------------------------------------------------------------------------------------

  private static int runs;

  /** What result keys of a --precision mixed_bfloat16 run end with: {@code _bf16}; else nothing. */
  private static String precisionSuffix(Args a) {
    var precision = dev.tfmnist.device.Precision.parse(a.get("precision", "float32"));
    return precision == dev.tfmnist.device.Precision.MIXED_BFLOAT16 ? "_bf16" : "";
  }

  /** --intra N --inter N, 0 (TensorFlow's choice) when absent. */
  static dev.tfmnist.device.ThreadPools threads(Args a) {
    return new dev.tfmnist.device.ThreadPools(a.getInt("intra", 0), a.getInt("inter", 0));
  }

  private static ChainedOptionsBuilder jmh(Args a, Path rssFile, int warmupIterations,
      int warmupSeconds, int iterations, int iterationSeconds) {
    var builder = new OptionsBuilder()
        .forks(1)
        .warmupIterations(warmupIterations)
        .warmupTime(TimeValue.seconds(warmupSeconds))
        .measurementIterations(iterations)
        .measurementTime(TimeValue.seconds(iterationSeconds))
        .shouldFailOnError(true)
        .param("intraOpThreads", a.get("intra", "0"))  // every benchmark here takes both
        .param("interOpThreads", a.get("inter", "0"))
        .param("precision", dev.tfmnist.device.Precision.parse(a.get("precision", "float32")).label())
        .jvmArgsAppend("-D" + RssProbe.FILE_PROPERTY + "=" + rssFile, "-Djava.awt.headless=true")
        .verbosity(VerboseMode.NORMAL);
    String log = a.get("jmh-log", null);
    if (log != null) {
      builder.output(runs++ == 0 ? log : log + "." + runs);  // JMH truncates its output file
    }
    return builder;
  }

  private static Collection<RunResult> run(ChainedOptionsBuilder builder) throws RunnerException {
    Collection<RunResult> results = new Runner(builder.build()).run();
    if (results.isEmpty()) {
      throw new IllegalStateException("JMH ran no benchmark (see its log)");
    }
    return results;
  }

  /** Operations run in the measured (not warm-up) iterations. */
  private static long measuredOps(RunResult r) {
    long ops = 0;
    for (var benchmark : r.getBenchmarkResults()) {
      for (var iteration : benchmark.getIterationResults()) {
        ops += iteration.getMetadata().getMeasuredOps();
      }
    }
    return ops;
  }

  /** Peak RSS of each JMH fork, written by {@link RssProbe} at the end of its trial. */
  private static void reportRss(Path file, String prefix) throws IOException {
    long max = 0;
    for (String line : Files.readAllLines(file)) {
      String[] parts = line.trim().split(" ");
      if (parts.length == 2) {
        result(prefix + "rss." + parts[0], Long.parseLong(parts[1]));
        max = Math.max(max, Long.parseLong(parts[1]));
      }
    }
    if (max == 0) {
      throw new IllegalStateException("the JMH forks reported no peak RSS");
    }
    result(prefix + "rss_bytes", max);
    Files.deleteIfExists(file);
  }

  /** {@code --name value} and {@code --flag} options. */
  static final class Args {
    private final Map<String, String> values = new LinkedHashMap<>();

    static Args parse(String[] args) {
      var parsed = new Args();
      for (int i = 0; i < args.length; i++) {
        if (!args[i].startsWith("--")) {
          throw new IllegalArgumentException("unexpected argument " + args[i]);
        }
        String name = args[i].substring(2);
        if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
          parsed.values.put(name, args[++i]);
        } else {
          parsed.values.put(name, "true");
        }
      }
      return parsed;
    }

    String get(String name, String fallback) {
      return values.getOrDefault(name, fallback);
    }

    String required(String name) {
      String value = values.get(name);
      if (value == null) {
        throw new IllegalArgumentException("--" + name + " is required");
      }
      return value;
    }

    int getInt(String name, int fallback) {
      return Integer.parseInt(get(name, Integer.toString(fallback)));
    }

    double getDouble(String name, double fallback) {
      return Double.parseDouble(get(name, Double.toString(fallback)));
    }

    boolean flag(String name) {
      return values.containsKey(name);
    }

    List<Integer> intList(String name, String fallback) {
      var list = new ArrayList<Integer>();
      for (String part : get(name, fallback).split(",")) {
        list.add(Integer.parseInt(part.trim()));
      }
      return list;
    }
  }
}
