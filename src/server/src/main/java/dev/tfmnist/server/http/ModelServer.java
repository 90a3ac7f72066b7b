package dev.tfmnist.server.http;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.TensorSpec;
import dev.tfmnist.server.batching.BatchStats;
import dev.tfmnist.server.batching.BatchingOptions;
import dev.tfmnist.server.batching.DynamicBatcher;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.tensorflow.proto.DataType;

/**
 * Serves one loaded model over TensorFlow Serving's REST API, on Undertow:
 *
 * <ul>
 *   <li>{@code GET /v1/models/{name}[/versions/{v}]}: version status;
 *   <li>{@code GET /v1/models/{name}[/versions/{v}]/metadata}: the signature defs;
 *   <li>{@code POST /v1/models/{name}[/versions/{v}]:predict}: rows ({@code instances}) or columns
 *       ({@code inputs}), with an optional {@code signature_name};
 *   <li>{@code GET /v1/models/{name}/stats}: not TF Serving's: in-flight predictions and the
 *       sizes of the batches run so far.
 * </ul>
 *
 * <p>Errors are {@code {"error": "..."}} with 400 (a bad request), 404 (an unknown model,
 * version or path), 405 (a wrong method), 413 (a body over the limit), 500 (a failure inside
 * TensorFlow) or 503 (shutting down). A model loaded from a directory whose name is not an
 * integer is served as version 1. The server does not own the model: close the model after the
 * server.
 *
 * <pre>{@code
 * try (var model = LoadedModel.load(dir);
 *     var server = ModelServer.builder(model).name("mnist").port(8501).start()) {
 *   ...
 * }
 * }</pre>
 */
public final class ModelServer implements AutoCloseable {
  /** Requests the warm-up sends through the server's own HTTP path. */
  private static final int WARM_UP_REQUESTS = 30;
  /** How long {@link #close()} lets requests in flight finish. */
  public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofSeconds(30);

  private final String name;
  private final long version;
  private final Undertow undertow;
  private final GracefulShutdownHandler graceful;
  private final RestApi api;
  private final Optional<DynamicBatcher> batcher;
  private final InetSocketAddress address;
  private final Duration warmUpTime;
  private int warmUpRuns;  // counted while the constructor warms up; read-only afterwards
  private boolean stopped;
  private volatile boolean stopping;

  private ModelServer(Builder b) throws IOException {
    this.name = b.name;
    this.version = b.model.version().orElse(1);
    var arriving = new AtomicInteger();
    this.batcher = Optional.ofNullable(b.batching)
        .map(options -> new DynamicBatcher(options, arriving::get));
    this.api = new RestApi(b.model, b.name, version, b.maxRequestBytes, batcher, arriving);
    // Expect: 100-continue gets its 100 when the body is read, as clients such as curl wait for
    this.graceful = new GracefulShutdownHandler(new HttpContinueReadHandler(api));
    HttpHandler root = exchange -> {
      if (stopping) {
        RestApi.sendError(exchange, 503, "the server is shutting down");
      } else {
        graceful.handleRequest(exchange);
      }
    };
    long warmStart = System.nanoTime();
    if (b.warmUp) {
      int rows = b.batching == null ? 1 : b.batching.maxBatchSize();
      for (String key : b.model.signatures().keySet()) {
        try {
          warmUpRuns += b.model.predictor(key).warmUp(rows);
        } catch (RuntimeException zerosRefused) {
          // a graph may check its inputs' values; that signature warms up on its first requests
        }
      }
    }
    this.undertow = Undertow.builder()
        .addHttpListener(b.port, b.host)
        .setIoThreads(b.ioThreads)
        .setWorkerThreads(b.workerThreads)
        // Undertow's hard cap, above the API's limit by what the API may read to drop
        .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, b.maxRequestBytes + RestApi.DRAIN_BYTES)
        .setHandler(root)
        .build();
    try {
      undertow.start();
    } catch (RuntimeException e) {
      batcher.ifPresent(DynamicBatcher::close);
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IOException("cannot listen on " + b.host + ":" + b.port + ": "
          + (cause instanceof BindException ? cause.getMessage() : cause.toString()), e);
    }
    this.address = (InetSocketAddress) undertow.getListenerInfo().get(0).getAddress();
    if (b.warmUp) {
      warmUpOverHttp(b.model);
    }
    this.warmUpTime = Duration.ofNanos(System.nanoTime() - warmStart);
  }

  /**
   * Sends a few single-row requests of zeros to the default signature through the server itself,
   * so the first client does not wait while the JVM loads and compiles the request path (about
   * 100 ms on its first request here). Only for the common shape, one input of rows of numbers;
   * these requests count in the stats like any others.
   */
  private void warmUpOverHttp(LoadedModel model) {
    SignatureInfo signature = model.signatures().get(SignatureInfo.DEFAULT_KEY);
    if (signature == null || signature.inputs().size() != 1) {
      return;
    }
    TensorSpec spec = signature.inputs().values().iterator().next();
    if (!spec.isBatched() || spec.rank() != 2 || spec.shape().get(1) < 1
        || spec.dtype() == DataType.DT_STRING || spec.dtype() == DataType.DT_BOOL) {
      return;
    }
    String row = String.join(",", Collections.nCopies((int) spec.shape().get(1), "0"));
    var request = HttpRequest.newBuilder(URI.create(modelUri() + ":predict"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [[" + row + "]]}"))
        .build();
    var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (int i = 0; i < WARM_UP_REQUESTS; i++) {
      try {
        if (client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
          return;  // the model refuses zeros: it warms up on its first real requests
        }
      } catch (IOException e) {
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      warmUpRuns++;
    }
  }

  public static Builder builder(LoadedModel model) {
    return new Builder(model);
  }

  /** Where to listen, under which name, how large bodies may be and how to batch. */
  public static final class Builder {
    private final LoadedModel model;
    private String name = "default";
    private String host = "127.0.0.1";
    private int port = 8501;
    private long maxRequestBytes = 32L << 20;
    private BatchingOptions batching = BatchingOptions.DEFAULT;
    private int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
    private int workerThreads = 64;
    private boolean warmUp = true;

    private Builder(LoadedModel model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    /** The model name in the URLs; TF Serving's default is {@code default}. */
    public Builder name(String name) {
      if (name == null || name.isEmpty() || name.contains("/") || name.contains(":")) {
        throw new IllegalArgumentException("model name must be non-empty without / or :, got \""
            + name + "\"");
      }
      this.name = name;
      return this;
    }

    /** Default 127.0.0.1: only this machine can connect unless asked otherwise. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Default 8501, TF Serving's REST port; 0 takes any free port (see {@link #port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in 0..65535, got " + port);
      }
      this.port = port;
      return this;
    }

    /** Larger request bodies get 413; default 32 MiB, about 4,000 MNIST images as JSON. */
    public Builder maxRequestBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("request size limit must be positive, got " + bytes);
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
     * Whether to run every signature on zeros at each batch size the server can form (1 without
     * batching) before listening; default on. See {@link dev.tfmnist.loader.Predictor#warmUp}.
     */
    public Builder warmUp(boolean warmUp) {
      this.warmUp = warmUp;
      return this;
    }

    /** Threads that parse requests and wait for predictions; default 64. */
    public Builder workerThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("worker threads must be at least 1, got " + threads);
      }
      this.workerThreads = threads;
      return this;
    }

    public ModelServer start() throws IOException {
      return new ModelServer(this);
    }
  }

  public String name() {
    return name;
  }

  public long version() {
    return version;
  }

  /** The port listened on, the chosen one when the builder asked for 0. */
  public int port() {
    return address.getPort();
  }

  /** E.g. {@code http://127.0.0.1:8501/v1/models/mnist}. */
  public URI modelUri() {
    String host = address.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + port() + "/v1/models/" + name);
  }

  /** Runs made to warm the model up before listening (on zeros, then over HTTP). */
  public int warmUpRuns() {
    return warmUpRuns;
  }

  /** How long the warm-up took. */
  public Duration warmUpTime() {
    return warmUpTime;
  }

  /** Predictions being parsed, run or answered right now. */
  public int inFlightPredictions() {
    return api.inFlightPredictions();
  }

  /** The batcher's counts, when batching is on. */
  public Optional<BatchStats> batchStats() {
    return batcher.map(DynamicBatcher::stats);
  }

  /**
   * Stops taking requests (new ones get 503), lets those in flight finish for up to {@code
   * gracePeriod}, then closes the listener, the connections and the batcher. Returns whether
   * every request finished in time. Later calls return at once.
   */
  public synchronized boolean shutdown(Duration gracePeriod) {
    if (stopped) {
      return true;
    }
    stopped = true;
    // New requests get 503 from here on. (Undertow's ListenerInfo.suspend would also stop new
    // connections, but it closes the open ones too, requests in flight with them.)
    stopping = true;
    graceful.shutdown();
    boolean drained;
    try {
      drained = graceful.awaitShutdown(gracePeriod.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      drained = false;
    }
    undertow.stop();
    batcher.ifPresent(DynamicBatcher::close);
    return drained;
  }

  /** {@link #shutdown(Duration)} with {@link #DEFAULT_GRACE_PERIOD}. */
  @Override
  public void close() {
    shutdown(DEFAULT_GRACE_PERIOD);
  }
}
