package dev.tfmnist.server;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.batching.BatchStats;
import dev.tfmnist.server.batching.BatchingOptions;
import dev.tfmnist.server.grpc.GrpcServer;
import dev.tfmnist.server.http.RestServer;
import dev.tfmnist.server.metrics.ServingMetrics;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.WarmUp;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Serves models as TensorFlow Serving does: its REST API on Undertow and, when given a port, its
 * gRPC API ({@code tensorflow.serving.PredictionService} and {@code ModelService}) on Netty,
 * both over one {@link ServingCore}; either may be left out. REST:
 *
 * <ul>
 *   <li>{@code GET /v1/models/{name}[/versions/{v} | /labels/{l}]}: version status;
 *   <li>{@code GET /v1/models/{name}[...]/metadata}: the signature defs;
 *   <li>{@code POST /v1/models/{name}[...]:predict}: rows ({@code instances}) or columns
 *       ({@code inputs}), with an optional {@code signature_name};
 *   <li>{@code GET /monitoring/prometheus/metrics}: the metrics, Prometheus's text format (the
 *       path is {@link Builder#metricsPath}'s);
 *   <li>{@code GET /v1/models/{name}/stats}: not TF Serving's: in-flight predictions and the
 *       sizes of the batches run so far;
 *   <li>{@code GET /}: not TF Serving's: a page to draw digits on and watch the models answer,
 *       with its endpoints under {@code /ui/} ({@link Builder#ui} turns them off).
 *   <li>{@code GET /healthz} and {@code GET /readyz}, not TF Serving's: the probes of
 *       orchestrators; the REST port listens while the server starts, and {@code /readyz}
 *       answers 200 once {@link #readiness()} says ready, else 503 with the reason.
 * </ul>
 *
 * <p>Errors are {@code {"error": "..."}} with TF Serving's HTTP status for each error code (400,
 * 404, 429, 501, 503, 504, ...), or 413 for a body over the limit. The server owns neither the
 * model nor the model manager it is built on: close them after the server.
 *
 * <pre>{@code
 * try (var model = LoadedModel.load(dir);
 *     var server = ModelServer.builder(model).name("mnist").port(8501).grpcPort(8500).start()) {
 *   ...
 * }
 * }</pre>
 */
public final class ModelServer implements AutoCloseable {
  /** Requests the warm-up runs through the REST request path, in-process. */
  private static final int WARM_UP_REQUESTS = 30;
  /** How long {@link #close()} lets requests in flight finish. */
  public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofSeconds(30);
  /** TF Serving's --rest_api_timeout_in_ms default. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /** REST worker threads unless told otherwise. */
  public static final int DEFAULT_WORKER_THREADS = 64;

  private final String name;
  private final ServingCore core;
  private final boolean ownsModels;
  private final Optional<RestServer> rest;
  private final Optional<GrpcServer> grpc;
  private final Duration warmUpTime;
  private int warmUpRuns;  // counted while the constructor warms up; read-only afterwards
  private boolean stopped;

  private ModelServer(Builder b) throws IOException {
    if (b.port == -1 && b.grpcPort == -1) {
      throw new IllegalArgumentException("neither a REST nor a gRPC port: nothing to serve on");
    }
    ModelManager models = b.models;
    if (models == null) {
      models = ModelManager.serving(b.name, b.model.version().orElse(1), b.model);
    }
    this.ownsModels = b.models == null;
    this.name = b.models == null ? b.name : b.models.models().first();
    this.core = new ServingCore(models, b.batching, b.requestTimeout);
    // Listen first: while the versions load and the server warms up, /healthz answers 200 and
    // /readyz 503 with the reason, which is what orchestrators poll for
    Optional<RestServer> restServer = Optional.empty();
    try {
      if (b.port >= 0) {
        restServer = Optional.of(RestServer.start(core, b.host, b.port, b.maxRequestBytes,
            b.ioThreads, b.workerThreads, b.ui, b.corsAllowOrigins, b.metricsPath));
      }
    } catch (IOException e) {
      core.close();
      throw e;
    }
    this.rest = restServer;
    Optional<GrpcServer> grpcServer = Optional.empty();
    long warmStart;
    try {
      if (b.grpcPort >= 0) {
        grpcServer = Optional.of(GrpcServer.start(core, b.host, b.grpcPort, b.maxRequestBytes,
            b.grpcThreads));
      }
      models.awaitInitialLoad();  // a manager started in the background: its first versions
      warmStart = System.nanoTime();
      if (b.warmUp && b.model != null) {
        warmUpRuns += WarmUp.run(b.model, b.batching == null ? 1 : b.batching.maxBatchSize());
      }
      if (b.warmUp && rest.isPresent()) {
        for (String model : models.models()) {
          warmUpRuns += rest.get().warmUp(model, WARM_UP_REQUESTS);
        }
      }
    } catch (InterruptedException e) {
      abortStart(grpcServer, models);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while the models loaded");
    } catch (IOException | RuntimeException | Error e) {
      abortStart(grpcServer, models);
      throw e;
    }
    this.grpc = grpcServer;
    this.warmUpTime = Duration.ofNanos(System.nanoTime() - warmStart);
    core.serving();
  }

  /** Nothing may keep listening (or keep the JVM up) for a server that never started. */
  private void abortStart(Optional<GrpcServer> grpcServer, ModelManager models) {
    grpcServer.ifPresent(g -> g.awaitTermination(Duration.ZERO));
    rest.ifPresent(r -> r.shutdown(Duration.ZERO));
    core.close();
    if (ownsModels) {
      models.close();
    }
  }

  /** A server for one loaded model, served as its directory's version (else version 1). */
  public static Builder builder(LoadedModel model) {
    return new Builder(Objects.requireNonNull(model, "model"), null);
  }

  /** A server for the models of a manager, their versions coming and going as it polls. */
  public static Builder builder(ModelManager models) {
    Objects.requireNonNull(models, "models");
    if (models.models().isEmpty()) {
      throw new IllegalArgumentException("the model manager serves no model");
    }
    return new Builder(null, models);
  }

  /** Where to listen, under which name, how large bodies may be and how to batch. */
  public static final class Builder {
    private final LoadedModel model;
    private final ModelManager models;
    private String name = "default";
    private String host = "127.0.0.1";
    private int port = 8501;
    private int grpcPort = -1;
    private int grpcThreads;
    private String metricsPath = ServingMetrics.DEFAULT_PATH;
    private long maxRequestBytes = 32L << 20;
    private BatchingOptions batching = BatchingOptions.DEFAULT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
    private int workerThreads = DEFAULT_WORKER_THREADS;
    private boolean warmUp = true;
    private boolean ui = true;
    private List<String> corsAllowOrigins = List.of();

    private Builder(LoadedModel model, ModelManager models) {
      this.model = model;
      this.models = models;
    }

    /** The name of a single model in the URLs; TF Serving's default is {@code default}. */
    public Builder name(String name) {
      if (name == null || name.isEmpty() || name.contains("/") || name.contains(":")) {
        throw new IllegalArgumentException("model name must be non-empty without / or :, got \""
            + name + "\"");
      }
      if (models != null) {
        throw new IllegalStateException("a model manager names its own models");
      }
      this.name = name;
      return this;
    }

    /** Default 127.0.0.1: only this machine can connect unless asked otherwise. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /**
     * The REST port.
     *
     * @param port default 8501, TF Serving's REST port; 0 takes any free port (see {@link
     *     #port()}); -1 serves no REST (then there must be a gRPC port)
     * @return this builder
     * @throws IllegalArgumentException if the port is none of those
     */
    public Builder port(int port) {
      this.port = checkPort("port", port);
      return this;
    }

    /**
     * The gRPC port.
     *
     * @param port TF Serving's is 8500; 0 takes any free port; -1, the default, serves no gRPC
     * @return this builder
     * @throws IllegalArgumentException if the port is none of those
     */
    public Builder grpcPort(int port) {
      this.grpcPort = checkPort("port", port);
      return this;
    }

    /**
     * Checks a port as {@link #port} and {@link #grpcPort} do, for a program to refuse it before
     * it loads anything.
     *
     * @param what the port's name in the message, e.g. an option
     * @param port the port
     * @return the port
     * @throws IllegalArgumentException {@code WHAT must be -1 (none) or in 0..65535, got PORT}
     */
    public static int checkPort(String what, int port) {
      if (port < -1 || port > 65535) {
        throw new IllegalArgumentException(what + " must be -1 (none) or in 0..65535, got "
            + port);
      }
      return port;
    }

    /**
     * How many gRPC calls run at once, TF Serving's {@code --grpc_max_threads}; more wait.
     *
     * @param threads 0, the default, for gRPC's own pool, which grows as needed
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder grpcThreads(int threads) {
      this.grpcThreads = checkThreads("gRPC threads", threads, 0);
      return this;
    }

    /**
     * Where the REST port serves the metrics in Prometheus's text format, as TF Serving's
     * monitoring config's {@code prometheus_config} says.
     *
     * @param path default {@link ServingMetrics#DEFAULT_PATH}, TF Serving's; null serves them
     *     nowhere
     * @return this builder
     * @throws IllegalArgumentException if not a path {@link ServingMetrics#checkPath} accepts
     */
    public Builder metricsPath(String path) {
      this.metricsPath = path == null ? null : ServingMetrics.checkPath(path);
      return this;
    }

    /**
     * Larger REST bodies get 413 and larger gRPC messages RESOURCE_EXHAUSTED; default 32 MiB,
     * about 4,000 MNIST images as JSON.
     */
    public Builder maxRequestBytes(long bytes) {
      if (bytes < 1 || bytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("request size limit must be in 1.." + Integer.MAX_VALUE
            + ", got " + bytes);
      }
      this.maxRequestBytes = bytes;
      return this;
    }

    /** Dynamic batching of concurrent predictions; null turns it off. */
    public Builder batching(BatchingOptions batching) {
      this.batching = batching;
      return this;
    }

    /**
     * How long a prediction may take from arrival to answer before it fails with
     * DEADLINE_EXCEEDED (504); default 30 s, TF Serving's. A gRPC client's earlier deadline wins.
     */
    public Builder requestTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("request timeout must be positive, got " + timeout);
      }
      this.requestTimeout = timeout;
      return this;
    }

    /**
     * Whether to run every signature on zeros at each batch size the server can form (1 without
     * batching), then requests through the REST path, before {@link #start} returns and {@code
     * /readyz} says ready (the port listens meanwhile); default on. See {@link
     * dev.tfmnist.loader.Predictor#warmUp}. A model manager warms its versions up itself as it
     * loads them.
     *
     * @param warmUp whether to warm up
     * @return this builder
     */
    public Builder warmUp(boolean warmUp) {
      this.warmUp = warmUp;
      return this;
    }

    /**
     * Whether to serve the page at {@code /} (draw a digit, see the model's answer) and its
     * endpoints {@code GET /ui/v1/models} and {@code POST /ui/v1/predict}; default on. Off,
     * {@code GET /} is TF Serving's 400 again.
     */
    public Builder ui(boolean ui) {
      this.ui = ui;
      return this;
    }

    /**
     * Lets web pages of these origins call the REST API from a browser (CORS): preflight {@code
     * OPTIONS} requests are answered, and responses to an allowed origin carry {@code
     * Access-Control-Allow-Origin}. Default none: no CORS headers, {@code OPTIONS} is a 400 as
     * in TF Serving without {@code --rest_api_enable_cors_support}.
     *
     * @param origins each {@code scheme://host[:port]} as browsers send it in {@code Origin}
     *     (e.g. {@code https://app.example.com}, no path, no trailing slash), or {@code *} for
     *     every origin, as TF Serving's flag allows; empty turns CORS off
     * @return this builder
     * @throws IllegalArgumentException if an origin is neither
     */
    public Builder corsAllowOrigins(List<String> origins) {
      this.corsAllowOrigins = checkCorsOrigins(origins);
      return this;
    }

    /**
     * Checks origins as {@link #corsAllowOrigins} does, for a program to refuse them before it
     * loads anything.
     *
     * @param origins each {@code scheme://host[:port]} or {@code *}
     * @return an unmodifiable copy
     * @throws IllegalArgumentException if an origin is neither
     */
    public static List<String> checkCorsOrigins(List<String> origins) {
      for (String origin : origins) {
        if (origin == null || !(origin.equals("*") || ORIGIN.matcher(origin).matches())) {
          throw new IllegalArgumentException("a CORS origin must be * or scheme://host[:port]"
              + " without a path, got \"" + origin + "\"");
        }
      }
      return List.copyOf(origins);
    }

    /** An origin as a browser serializes it: a scheme, ://, a host and maybe a port. */
    private static final Pattern ORIGIN = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\\s]+");

    /**
     * Threads that parse REST requests and wait for predictions, TF Serving's {@code
     * --rest_api_num_threads}.
     *
     * @param threads default {@link #DEFAULT_WORKER_THREADS}
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public Builder workerThreads(int threads) {
      this.workerThreads = checkThreads("worker threads", threads, 1);
      return this;
    }

    /**
     * Checks a thread count as {@link #workerThreads} ({@code min} 1) and {@link #grpcThreads}
     * ({@code min} 0) do, for a program to refuse it before it loads anything.
     *
     * @param what the count's name in the message, e.g. an option
     * @param threads the count
     * @param min the least allowed
     * @return the count
     * @throws IllegalArgumentException {@code WHAT must be at least MIN, got THREADS}
     */
    public static int checkThreads(String what, int threads, int min) {
      if (threads < min) {
        throw new IllegalArgumentException(what + " must be at least " + min + ", got " + threads);
      }
      return threads;
    }

    /**
     * Starts the server: listens (REST, then gRPC), waits for the first versions of a manager
     * started with {@link ModelManager.Builder#startInBackground}, warms up, and returns ready
     * to serve. Meanwhile {@code /healthz} answers 200 and {@code /readyz} 503.
     *
     * @return the server, serving
     * @throws IOException if it cannot listen (the port is taken, say), or is interrupted
     *     while the models load
     */
    public ModelServer start() throws IOException {
      return new ModelServer(this);
    }
  }

  /** The single model's name, or the first of a manager's. */
  public String name() {
    return name;
  }

  /** The highest version of {@link #name()} serving now, 0 when none is. */
  public long version() {
    var versions = core.models().servingVersions(name);
    return versions.isEmpty() ? 0 : versions.last();
  }

  public ModelManager models() {
    return core.models();
  }

  /** The REST port listened on, the chosen one when the builder asked for 0; -1 for no REST. */
  public int port() {
    return rest.map(r -> r.address().getPort()).orElse(-1);
  }

  /** The REST address, when serving REST. */
  public Optional<InetSocketAddress> restAddress() {
    return rest.map(RestServer::address);
  }

  /** The gRPC address, when serving gRPC. */
  public Optional<InetSocketAddress> grpcAddress() {
    return grpc.map(GrpcServer::address);
  }

  /** E.g. {@code http://127.0.0.1:8501/v1/models/mnist}. */
  public URI modelUri() {
    return modelUri(name);
  }

  /**
   * The REST address of a model; a name with spaces or other such characters is escaped.
   *
   * @param model the model's name
   * @return e.g. {@code http://127.0.0.1:8501/v1/models/mnist}; {@code localhost} for a server
   *     that listens on every address
   * @throws IllegalStateException if the server serves no REST
   */
  public URI modelUri(String model) {
    var address = restAddress().orElseThrow(() -> new IllegalStateException("no REST port"));
    String host = address.getAddress().isAnyLocalAddress() ? "localhost"
        : address.getAddress().getHostAddress();
    try {
      return new URI("http", null, host, address.getPort(),
          "/v1/models/" + model, null, null);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("model name " + model + " makes no URI", e);
    }
  }

  /** Runs made to warm the model up before listening (on zeros, then through the REST path). */
  public int warmUpRuns() {
    return warmUpRuns;
  }

  /** How long the warm-up took. */
  public Duration warmUpTime() {
    return warmUpTime;
  }

  /**
   * Whether the server should get traffic now, what {@code GET /readyz} answers: every model has
   * a version available, the warm-up is over and the server is not shutting down. See {@link
   * ServingCore#readiness()}.
   *
   * @return ready, or not with the reason
   */
  public Readiness readiness() {
    return core.readiness();
  }

  /** Predictions being parsed, run or answered right now. */
  public int inFlightPredictions() {
    return core.inFlightPredictions();
  }

  /** The batcher's counts, when batching is on. */
  public Optional<BatchStats> batchStats() {
    return core.batchStats();
  }

  /**
   * Stops taking requests (new REST ones get 503, new gRPC ones UNAVAILABLE; {@code /readyz}
   * answers 503 and {@code /healthz} 200 until the listener closes), lets those in
   * flight finish for up to {@code gracePeriod}, then closes the listeners, the connections and
   * the batcher. Returns whether every request finished in time. Later calls return at once.
   */
  public synchronized boolean shutdown(Duration gracePeriod) {
    if (stopped) {
      return true;
    }
    stopped = true;
    core.shuttingDown();  // /readyz: 503 from now on, while the requests in flight finish
    long deadline = System.nanoTime() + gracePeriod.toNanos();
    grpc.ifPresent(GrpcServer::stopAccepting);
    boolean drained = rest.map(r -> r.shutdown(gracePeriod)).orElse(true);
    if (grpc.isPresent()) {
      drained &= grpc.get().awaitTermination(
          Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }
    core.close();
    if (ownsModels) {
      core.models().close();
    }
    return drained;
  }

  /** {@link #shutdown(Duration)} with {@link #DEFAULT_GRACE_PERIOD}. */
  @Override
  public void close() {
    shutdown(DEFAULT_GRACE_PERIOD);
  }
}
