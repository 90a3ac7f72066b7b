package dev.tfmnist.cli;

import dev.tfmnist.device.DevicePlan;
import dev.tfmnist.loader.ModelLocation;
import dev.tfmnist.server.ConfigFileException;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.batching.BatchingOptions;
import dev.tfmnist.server.batching.BatchingParametersFile;
import dev.tfmnist.server.metrics.MonitoringConfigFile;
import dev.tfmnist.server.metrics.ServingMetrics;
import dev.tfmnist.server.models.ModelConfig;
import dev.tfmnist.server.models.ModelConfigFile;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.VersionRequest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Serves SavedModels over TensorFlow Serving's REST and gRPC APIs until SIGTERM or SIGINT; then
 * new requests are refused, those in flight finish, and the process exits with 0. A base
 * directory (or each model of a config file) is polled for new versions. Most options also take
 * TF Serving's spelling of them (e.g. {@code --model_base_path}); {@link TensorFlowModelServer}
 * takes TF Serving's whole command line, with its meanings and defaults, and runs this.
 */
@Command(
    name = "ServeMnist",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    sortOptions = false,
    description = {
      "Serves SavedModels as TensorFlow Serving does. REST: GET /v1/models/NAME,",
      "GET /v1/models/NAME/metadata and POST /v1/models/NAME:predict, also under",
      "/versions/N and /labels/L; GET /monitoring/prometheus/metrics. gRPC:",
      "tensorflow.serving.PredictionService and ModelService. New version directories",
      "are served as they appear. Probes: GET /healthz (200 while running), GET /readyz",
      "(200 once every model is served, 503 while loading or stopping). SIGTERM or Ctrl-C",
      "lets the requests in flight finish and exits.",
      "TF Serving's spellings of the options are taken too (--model_base_path, ...), but",
      "the defaults are this program's, and --port is the REST port here: for TF Serving's",
      "command line as it is (--port for gRPC, no REST without --rest_api_port), run",
      "tensorflow_model_server (dev.tfmnist.cli.TensorFlowModelServer)."
    })
public final class ServeMnist implements Callable<Integer> {
  @Option(names = {"--model", "--model_base_path"}, paramLabel = "DIR",
      description = "SavedModel directory, or a base directory of numbered versions whose highest is served and polled for new ones (TF Serving: --model_base_path).")
  Path model;

  @Option(names = {"--model-config-file", "--model_config_file"}, paramLabel = "FILE",
      description = "Serve the models of this file instead of --model: TF Serving's text format, model_config_list { config { name base_path model_version_policy version_labels } } (TF Serving: --model_config_file).")
  Path modelConfigFile;

  @Option(names = {"--model-config-file-poll-wait-seconds",
      "--model_config_file_poll_wait_seconds"}, paramLabel = "SECONDS",
      description = "How often the config file is reread, 0 for never (default: ${DEFAULT-VALUE}; TF Serving: --model_config_file_poll_wait_seconds, default 0).")
  int configPollSeconds = 60;

  @Option(names = {"--file-system-poll-wait-seconds", "--file_system_poll_wait_seconds"},
      paramLabel = "SECONDS",
      description = "How often base directories are checked for new versions, 0 for never (default: ${DEFAULT-VALUE}; TF Serving: --file_system_poll_wait_seconds).")
  int pollSeconds = 1;

  @Option(names = {"--name", "--model_name"}, paramLabel = "NAME", description = "Model name in the URLs (default: ${DEFAULT-VALUE}; TF Serving: --model_name, default \"default\").")
  String name = "mnist";

  @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: ${DEFAULT-VALUE}; TF Serving listens on every address).")
  String host = "127.0.0.1";

  @Option(names = {"--port", "--rest_api_port"}, paramLabel = "PORT", description = "REST port, 0 for any free one, -1 for no REST (default: ${DEFAULT-VALUE}; TF Serving: --rest_api_port, whose 0 means no REST, default 0. TF Serving's --port is its gRPC port: --grpc-port here).")
  int port = 8501;

  @Option(names = "--grpc-port", paramLabel = "PORT", description = "gRPC port, 0 for any free one, -1 for no gRPC (default: ${DEFAULT-VALUE}; TF Serving: --port).")
  int grpcPort = 8500;

  @Option(names = {"--rest-threads", "--rest_api_num_threads"}, paramLabel = "N", description = "Threads that read REST requests and wait for their answers (default: ${DEFAULT-VALUE}; TF Serving: --rest_api_num_threads, default 4 per core).")
  int restThreads = ModelServer.DEFAULT_WORKER_THREADS;

  @Option(names = {"--grpc-threads", "--grpc_max_threads"}, paramLabel = "N", description = "gRPC calls run at once, more wait; 0 for as many as come (default: ${DEFAULT-VALUE}; TF Serving: --grpc_max_threads, default 4 per core).")
  int grpcThreads;

  @Option(names = {"--request-timeout-ms", "--rest_api_timeout_in_ms"}, paramLabel = "MS", description = "A prediction not answered by then fails with 504 / DEADLINE_EXCEEDED (default: ${DEFAULT-VALUE}; TF Serving: --rest_api_timeout_in_ms).")
  long requestTimeoutMs = ModelServer.DEFAULT_REQUEST_TIMEOUT.toMillis();

  @Option(names = "--max-batch-size", paramLabel = "N", description = "Largest batch of concurrent requests run together (default: ${DEFAULT-VALUE}; TF Serving: max_batch_size in --batching_parameters_file).")
  int maxBatchSize = BatchingOptions.DEFAULT.maxBatchSize();

  @Option(names = "--batch-timeout-micros", paramLabel = "US", description = "Make the first request of a batch wait up to US microseconds for others (TF Serving: batch_timeout_micros). Without it a batch never waits: a request runs at once while a batch thread is free, and those that arrive while all are busy run together next.")
  Long batchTimeoutMicros;

  @Option(names = "--batch-threads", paramLabel = "N", description = "Batches run at once (default: ${DEFAULT-VALUE}; TF Serving: num_batch_threads).")
  int batchThreads = BatchingOptions.DEFAULT.threads();

  @Option(names = "--max-enqueued-batches", paramLabel = "N", description = "Batches that may wait; requests beyond get 503 / UNAVAILABLE (default: ${DEFAULT-VALUE}; TF Serving: max_enqueued_batches).")
  int maxEnqueuedBatches = BatchingOptions.DEFAULT.maxEnqueuedBatches();

  @Option(names = "--no-batching", description = "Run every request on its own (TF Serving's default; it batches with --enable_batching).")
  boolean noBatching;

  @Option(names = "--enable_batching", arity = "0..1", paramLabel = "true|false", fallbackValue = "true", converter = Cli.TfServingBoolean.class, description = "TF Serving's spelling: =false is --no-batching; batching is on here unless turned off.")
  Boolean enableBatching;

  @Option(names = {"--batching-parameters-file", "--batching_parameters_file"}, paramLabel = "FILE", description = "Batch as this file says, instead of --max-batch-size and the like: TF Serving's text format, max_batch_size { value: 16 } batch_timeout_micros { value: 1000 } max_enqueued_batches { value: 100 } num_batch_threads { value: 4 } (TF Serving: --batching_parameters_file).")
  Path batchingParametersFile;

  @Option(names = {"--monitoring-config-file", "--monitoring_config_file"}, paramLabel = "FILE", description = "Serve the metrics where this file says, or not at all without enable: true: TF Serving's text format, prometheus_config { enable: true, path: \"/metrics\" } (default: at " + ServingMetrics.DEFAULT_PATH + "; TF Serving: --monitoring_config_file, without which it serves none).")
  Path monitoringConfigFile;

  @Option(names = "--no-metrics", description = "Serve no metrics (TF Serving's default without --monitoring_config_file).")
  boolean noMetrics;

  @Option(names = "--no-warm-up", description = "Be ready at once, without first running the model on zeros at every batch size (TF Serving warms up only from assets.extra/tf_serving_warmup_requests).")
  boolean noWarmUp;

  @Option(names = "--no-ui", description = "Serve no page: without it, GET / is a page to draw digits on and watch the models answer, with its endpoints under /ui/ (TF Serving has no page: GET / is its 400).")
  boolean noUi;

  @Option(names = "--max-request-bytes", paramLabel = "BYTES", description = "Larger request bodies get 413 (default: ${DEFAULT-VALUE}; TF Serving has no such limit).")
  long maxRequestBytes = 32L << 20;

  @Option(names = "--cors-allow-origin", paramLabel = "ORIGIN", description = "Let web pages of ORIGIN (scheme://host[:port]) call the REST API from a browser; repeat for more, * for any (default: none; TF Serving: --rest_api_enable_cors_support, which allows any).")
  List<String> corsAllowOrigins = new ArrayList<>();

  @Option(names = "--rest_api_enable_cors_support", arity = "0..1", paramLabel = "true|false", fallbackValue = "true", converter = Cli.TfServingBoolean.class, description = "TF Serving's spelling of --cors-allow-origin '*'.")
  boolean corsAnyOrigin;

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
  private PrintWriter err;
  /** The name the messages start with: this program's, or the one that runs it. */
  private String program = "ServeMnist";
  /**
   * For a program that translates its own command line into this one's: the flag each option
   * of this one came from, for the messages. Else the messages name the options as typed.
   */
  private Map<String, String> flags = Map.of();
  /** Where the metrics are served, null for nowhere: the options' answer, once checked. */
  private String metricsPath;

  @Override
  public Integer call() throws Exception {
    LIBRARY_LOGGERS.forEach(logger -> logger.setLevel(Level.WARNING));
    BatchingOptions batching = checkOptions();
    metricsPath = metricsPath();  // the config files before anything loads
    if (batching != null && batchingParametersFile != null) {
      batching = readConfig(() -> BatchingParametersFile.read(batchingParametersFile,
          this::warn));
    }
    var plan = tensorFlow.devicesUnlessListing(out);
    if (plan.isEmpty()) {
      return 0;
    }
    var devices = plan.get();
    List<ModelConfig> configs;
    ModelConfigFile configFile = null;
    if (modelConfigFile != null) {
      configFile = new ModelConfigFile(modelConfigFile);
      try {
        configs = configFile.read();
      } catch (ModelConfigFile.InvalidConfigException e) {
        throw new Cli.RunError(e.getMessage(), e);
      }
    } else {
      Path modelDir = Cli.required(spec, model, "--model=DIR");
      var location = ModelLocation.resolve(modelDir, OptionalLong.empty());  // fails in one line
      if (location.directory().equals(modelDir)) {
        out.print(devices.summary());
        out.flush();
        return serveOne(modelDir, devices, batching);  // a SavedModel itself: nothing to poll
      }
      configs = List.of(ModelConfig.of(name, modelDir));
    }
    out.print(devices.summary());
    out.flush();
    int rows = batching == null ? 1 : batching.maxBatchSize();
    var managerBuilder = ModelManager.builder(dir -> tensorFlow.load(dir, devices))
        .pollInterval(Duration.ofSeconds(pollSeconds))
        .warmUpRows(noWarmUp ? 0 : rows)
        .events(line -> {
          out.println(line);
          out.flush();
        });
    if (configFile != null && configPollSeconds > 0) {
      managerBuilder.configSource(configFile.changes(configs, line -> {
        out.println(line);
        out.flush();
      }), Duration.ofSeconds(configPollSeconds));
    }
    // The REST port listens while the versions load (start() waits for them), so that
    // /healthz answers and /readyz says what is loading.
    try (var models = managerBuilder.startInBackground(configs);
        var server = configure(ModelServer.builder(models), batching).start()) {
      for (ModelConfig config : configs) {
        if (models.servingVersions(config.name()).isEmpty()) {
          throw new Cli.RunError(config.basePath() + ": no version of model " + config.name()
              + " could be loaded: " + models.whyNotServing(config.name()), null);
        }
      }
      for (String model : models.models()) {
        try (var servable = models.acquire(VersionRequest.latest(model))) {
          if (models.models().size() > 1) {
            out.println(model + " version " + servable.version() + ":");
          }
          out.print(servable.model().signatureTable());
        }
      }
      out.flush();
      return serveUntilStopped(server);
    }
  }

  /**
   * Every rule on the options' values, before anything loads: a bad value is one line naming
   * the option as the user wrote it.
   *
   * @return the batching options, null for no batching
   */
  private BatchingOptions checkOptions() {
    tensorFlow.choice();
    if (batchTimeoutMicros != null && batchTimeoutMicros < 0) {
      throw new IllegalArgumentException(spelled("--batch-timeout-micros")
          + " must be 0 or more, got " + batchTimeoutMicros);
    }
    if (gracePeriodSeconds < 0) {
      throw new IllegalArgumentException(spelled("--grace-period") + " must be 0 or more, got "
          + gracePeriodSeconds);
    }
    if (pollSeconds < 0 || configPollSeconds < 0) {
      throw new IllegalArgumentException("poll intervals must be 0 or more, got "
          + (pollSeconds < 0 ? spelled("--file-system-poll-wait-seconds") + " " + pollSeconds
              : spelled("--model-config-file-poll-wait-seconds") + " " + configPollSeconds));
    }
    if (requestTimeoutMs < 1) {
      throw new IllegalArgumentException(spelled("--request-timeout-ms")
          + " must be at least 1, got " + requestTimeoutMs);
    }
    if (corsAnyOrigin && !corsAllowOrigins.contains("*")) {
      corsAllowOrigins.add("*");
    }
    ModelServer.Builder.checkCorsOrigins(corsAllowOrigins);
    ModelServer.Builder.checkPort(spelled("--port"), port);
    ModelServer.Builder.checkPort(spelled("--grpc-port"), grpcPort);
    if (port == -1 && grpcPort == -1) {
      throw new IllegalArgumentException(spelled("--port") + " -1 and " + spelled("--grpc-port")
          + " -1: no port to serve on");
    }
    if (port > 0 && port == grpcPort) {
      throw new IllegalArgumentException(spelled("--port") + " and " + spelled("--grpc-port")
          + " must differ, got " + port + " for both");
    }
    ModelServer.Builder.checkThreads(spelled("--rest-threads"), restThreads, 1);
    ModelServer.Builder.checkThreads(spelled("--grpc-threads"), grpcThreads, 0);
    check(tensorFlow.intraOpThreads < 0 ? "--intra-op-threads" : "--inter-op-threads",
        tensorFlow::threads);
    if (modelConfigFile == null) {
      check("--name", () -> ModelConfig.of(name, Path.of("")));
    }
    exclusive(model != null, "--model", modelConfigFile != null, "--model-config-file");
    exclusive(noMetrics, "--no-metrics", monitoringConfigFile != null, "--monitoring-config-file");
    exclusive(noBatching, "--no-batching", enableBatching != null, "--enable_batching");
    boolean off = enableBatching != null ? !enableBatching : noBatching;
    exclusive(off, enableBatching != null ? "--enable_batching" : "--no-batching",
        batchingParametersFile != null, "--batching-parameters-file");
    if (off) {
      return null;
    }
    for (String option : List.of("--max-batch-size", "--batch-timeout-micros", "--batch-threads",
        "--max-enqueued-batches")) {
      exclusive(batchingParametersFile != null, "--batching-parameters-file",
          spec.commandLine().getParseResult().hasMatchedOption(option), option);
    }
    var batching = BatchingOptions.builder()
        .maxBatchSize(maxBatchSize)
        .threads(batchThreads)
        .maxEnqueuedBatches(maxEnqueuedBatches);
    if (batchTimeoutMicros != null) {
      batching.batchTimeout(Duration.ofNanos(batchTimeoutMicros * 1000));
    }
    return batching.build();
  }

  /** Where the metrics are served, null for nowhere. */
  private String metricsPath() {
    if (noMetrics) {
      return null;
    }
    if (monitoringConfigFile == null) {
      return ServingMetrics.DEFAULT_PATH;
    }
    return readConfig(() -> MonitoringConfigFile.read(monitoringConfigFile)).orElse(null);
  }

  private interface ConfigRead<T> {
    T read() throws ConfigFileException;
  }

  /** A config file's contents, or its one-line error as the run's. */
  private static <T> T readConfig(ConfigRead<T> read) {
    try {
      return read.read();
    } catch (ConfigFileException e) {
      throw new Cli.RunError(e.getMessage(), e);
    }
  }

  /** Runs a library's check of an option's value, its message headed by the option. */
  private <T> T check(String option, Supplier<T> check) {
    try {
      return check.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(spelled(option) + ": " + e.getMessage(), e);
    }
  }

  private void exclusive(boolean given, String option, boolean otherGiven, String other) {
    if (given && otherGiven) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), spelled(option)
          + " and " + spelled(other) + " are exclusive: give one");
    }
  }

  /** An option as the user wrote it: the alias typed, or the flag it was translated from. */
  private String spelled(String option) {
    return flags.getOrDefault(option, Cli.spelled(spec, option));
  }

  private void warn(String warning) {
    err.println(program + ": warning: " + warning);
    err.flush();
  }

  private int serveOne(Path dir, DevicePlan devices, BatchingOptions batching) throws Exception {
    try (var loaded = tensorFlow.load(dir, devices)) {
      out.print(loaded.signatureTable());
      try (var server = configure(ModelServer.builder(loaded).name(name), batching).start()) {
        return serveUntilStopped(server);
      }
    }
  }

  private ModelServer.Builder configure(ModelServer.Builder builder, BatchingOptions batching) {
    return builder
        .host(host)
        .port(port)
        .grpcPort(grpcPort)
        .workerThreads(restThreads)
        .grpcThreads(grpcThreads)
        .metricsPath(metricsPath)
        .maxRequestBytes(maxRequestBytes)
        .batching(batching)
        .requestTimeout(Duration.ofMillis(requestTimeoutMs))
        .corsAllowOrigins(corsAllowOrigins)
        .warmUp(!noWarmUp)
        .ui(!noUi);
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
      Runtime.getRuntime().halt(finished ? 0 : 1);
    }, "ServeMnist-shutdown"));

    if (server.warmUpRuns() > 0) {
      out.printf(java.util.Locale.ROOT, "Warmed up: %d runs on zeros in %.2f s (--no-warm-up to skip)%n",
          server.warmUpRuns(), server.warmUpTime().toNanos() / 1e9);
    }
    server.grpcAddress().ifPresent(address -> out.println("gRPC: "
        + (address.getAddress().isAnyLocalAddress() ? "0.0.0.0" // every address, IPv6's too
            : address.getAddress().getHostAddress()) + ":" + address.getPort()));
    boolean rest = server.restAddress().isPresent();
    for (String model : server.models().models()) {
      out.println("Serving " + model + " version " + server.models().servingVersions(model).last()
          + (rest ? " at " + server.modelUri(model) : " over gRPC"));
    }
    if (rest && metricsPath != null) {
      out.println("Metrics at " + server.modelUri().resolve(metricsPath));
    }
    if (rest && !noUi) {
      out.println("Draw a digit at " + server.modelUri().resolve("/") + " (--no-ui to turn off)");
    }
    out.flush();
    stopped.await();  // never returns: the hook halts the JVM
    return 0;
  }

  public static void main(String[] args) {
    Cli.routeLibraryLogs();
    System.exit(run(args, new PrintWriter(System.out, true),
        new PrintWriter(NativeLog.systemErr(), true)));
  }

  /** Runs the command with the given streams and returns the exit code; main() is this plus exit. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    var command = new ServeMnist();
    command.out = out;
    command.err = err;
    return Cli.commandLine(command, out, err).execute(args);
  }

  /**
   * This command with its options parsed from {@code args}, for a program that translates its
   * own command line into this one's and then {@link #call}s it, so that its errors are that
   * program's (one line, its exit codes).
   *
   * @param args this program's options
   * @param program the name the warnings start with
   * @param flags for each option of this program in {@code args}, the other program's flag it
   *     came from, which the messages name
   * @param out where the server's lines go
   * @param err where the warnings go
   * @return the command, ready to call
   * @throws picocli.CommandLine.ParameterException if an option is not this program's
   */
  static ServeMnist translatedFrom(List<String> args, String program, Map<String, String> flags,
      PrintWriter out, PrintWriter err) {
    var command = new ServeMnist();
    command.out = out;
    command.err = err;
    command.program = program;
    command.flags = Map.copyOf(flags);
    new picocli.CommandLine(command).parseArgs(args.toArray(String[]::new));
    return command;
  }
}
