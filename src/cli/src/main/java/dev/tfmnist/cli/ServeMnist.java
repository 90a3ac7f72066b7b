package dev.tfmnist.cli;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.batching.BatchingOptions;
import dev.tfmnist.server.http.ModelServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Serves a SavedModel over TensorFlow Serving's REST API until SIGTERM or SIGINT; then new
 * requests get 503, those in flight finish, and the process exits with 0.
 */
@Command(
    name = "ServeMnist",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    sortOptions = false,
    description = {
      "Serves a SavedModel over TensorFlow Serving's REST API: GET /v1/models/NAME,",
      "GET /v1/models/NAME/metadata and POST /v1/models/NAME:predict, also under",
      "/versions/N. SIGTERM or Ctrl-C lets the requests in flight finish and exits."
    })
public final class ServeMnist implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "DIR",
      description = "SavedModel directory, or a base directory whose highest version is served (TF Serving: --model_base_path).")
  Path model;

  @Option(names = "--name", paramLabel = "NAME", description = "Model name in the URLs (default: ${DEFAULT-VALUE}; TF Serving: --model_name).")
  String name = "mnist";

  @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: ${DEFAULT-VALUE}; TF Serving listens on every address).")
  String host = "127.0.0.1";

  @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on, 0 for any free one (default: ${DEFAULT-VALUE}; TF Serving: --rest_api_port).")
  int port = 8501;

  @Option(names = "--max-batch-size", paramLabel = "N", description = "Largest batch of concurrent requests run together (default: ${DEFAULT-VALUE}; TF Serving: max_batch_size in --batching_parameters_file).")
  int maxBatchSize = BatchingOptions.DEFAULT.maxBatchSize();

  @Option(names = "--batch-timeout-micros", paramLabel = "US", description = "How long a request waits for others to batch with (default: ${DEFAULT-VALUE}; TF Serving: batch_timeout_micros).")
  long batchTimeoutMicros = BatchingOptions.DEFAULT.batchTimeout().toNanos() / 1000;

  @Option(names = "--batch-threads", paramLabel = "N", description = "Batches run at once (default: ${DEFAULT-VALUE}; TF Serving: num_batch_threads).")
  int batchThreads = BatchingOptions.DEFAULT.threads();

  @Option(names = "--no-batching", description = "Run every request on its own (TF Serving's default; it batches with --enable_batching).")
  boolean noBatching;

  @Option(names = "--no-warm-up", description = "Listen at once, without first running the model on zeros at every batch size (TF Serving warms up only from assets.extra/tf_serving_warmup_requests).")
  boolean noWarmUp;

  @Option(names = "--max-request-bytes", paramLabel = "BYTES", description = "Larger request bodies get 413 (default: ${DEFAULT-VALUE}; TF Serving has no such limit).")
  long maxRequestBytes = 32L << 20;

  @Option(names = "--grace-period", paramLabel = "SECONDS", description = "On SIGTERM, how long requests in flight may take to finish (default: ${DEFAULT-VALUE}; TF Serving has no such option).")
  int gracePeriodSeconds = 30;

  @Mixin TensorFlowOptions tensorFlow = new TensorFlowOptions();

  @Spec CommandSpec spec;

  /**
   * Undertow and XNIO announce their versions at INFO on stderr; the server's own lines are on
   * stdout and its stderr is for trouble, so they log warnings only. Held here because
   * java.util.logging forgets the level of a logger nobody references.
   */
  private static final List<Logger> LIBRARY_LOGGERS =
      List.of(Logger.getLogger("io.undertow"), Logger.getLogger("org.xnio"));

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    tensorFlow.choice();
    LIBRARY_LOGGERS.forEach(logger -> logger.setLevel(Level.WARNING));
    if (batchTimeoutMicros < 0) {
      throw new IllegalArgumentException("--batch-timeout-micros must be 0 or more, got "
          + batchTimeoutMicros);
    }
    if (gracePeriodSeconds < 0) {
      throw new IllegalArgumentException("--grace-period must be 0 or more, got " + gracePeriodSeconds);
    }
    BatchingOptions batching = noBatching ? null : BatchingOptions.builder()
        .maxBatchSize(maxBatchSize)
        .batchTimeout(Duration.ofNanos(batchTimeoutMicros * 1000))
        .threads(batchThreads)
        .build();
    var plan = tensorFlow.devicesUnlessListing(out);
    if (plan.isEmpty()) {
      return 0;
    }
    var devices = plan.get();
    Path modelDir = Cli.required(spec, model, "--model=DIR");
    out.print(devices.summary());
    out.flush();
    try (var loaded = tensorFlow.load(modelDir, devices)) {
      var builder = ModelServer.builder(loaded)
          .name(name)
          .host(host)
          .port(port)
          .maxRequestBytes(maxRequestBytes)
          .batching(batching)
          .warmUp(!noWarmUp);
      out.print(loaded.signatureTable());
      try (var server = builder.start()) {
        return serveUntilStopped(server);
      }
    }
  }

  /**
   * Serves until the JVM is asked to stop (SIGTERM, SIGINT, SIGHUP), then lets the requests in
   * flight finish. That work happens in a shutdown hook, the JVM's public way to hear of a
   * signal; the hook ends the process itself, with 0 when every request finished, because a JVM
   * that a signal shuts down would otherwise exit with 128 + the signal's number.
   */
  private int serveUntilStopped(ModelServer server) throws InterruptedException {
    Duration grace = Duration.ofSeconds(gracePeriodSeconds);
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println("Shutting down: " + server.inFlightPredictions() + " predictions in flight");
      out.flush();
      boolean finished = server.shutdown(grace);
      out.println(finished ? "Stopped." : "Stopped after " + gracePeriodSeconds
          + " s with requests still running.");
      out.flush();
      stopped.countDown();
      Runtime.getRuntime().halt(finished ? 0 : 1);
    }, "ServeMnist-shutdown"));

    if (server.warmUpRuns() > 0) {
      out.printf(java.util.Locale.ROOT, "Warmed up: %d runs on zeros in %.2f s (--no-warm-up to skip)%n",
          server.warmUpRuns(), server.warmUpTime().toNanos() / 1e9);
    }
    out.println("Serving " + server.name() + " version " + server.version() + " at "
        + server.modelUri());
    out.flush();
    stopped.await();  // never returns: the hook halts the JVM
    return 0;
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command with the given streams and returns the exit code; main() is this plus exit. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    var command = new ServeMnist();
    command.out = out;
    return Cli.commandLine(command, out, err).execute(args);
  }
}
