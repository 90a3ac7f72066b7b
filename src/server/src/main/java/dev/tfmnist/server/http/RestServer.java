package dev.tfmnist.server.http;

import dev.tfmnist.server.ServingCore;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * TensorFlow Serving's REST API on Undertow, over a {@link ServingCore}, with the probes {@code
 * GET /healthz} and {@code GET /readyz} (see {@link ServingCore#readiness()}) and, when given
 * origins, CORS headers on every response. Owns its listener and connections; {@link #shutdown}
 * lets the requests in flight finish.
 */
public final class RestServer {
  private final RestApi api;
  private final Undertow undertow;
  private final GracefulShutdownHandler graceful;
  private final InetSocketAddress address;
  private volatile boolean stopping;

  private RestServer(ServingCore core, String host, int port, long maxRequestBytes, int ioThreads,
      int workerThreads, boolean ui, List<String> corsAllowOrigins, String metricsPath)
      throws IOException {
    // Expect: 100-continue gets its 100 when the body is read, as clients such as curl wait for
    this.api = new RestApi(core, maxRequestBytes, metricsPath);
    HttpHandler routes = ui ? new UiRoutes(core, maxRequestBytes, metricsPath, api) : api;
    this.graceful = new GracefulShutdownHandler(new HttpContinueReadHandler(routes));
    Cors cors = new Cors(corsAllowOrigins);
    HealthEndpoints health = new HealthEndpoints(core);
    HttpHandler root = exchange -> {
      // CORS first, so that its headers go on every answer, the probes and refusals included;
      // the probes before the refusal, as orchestrators ask them while the server drains
      if (cors.handle(exchange) || health.handle(exchange)) {
        return;
      }
      if (stopping) {
        RestJson.sendError(exchange, 503, "the server is shutting down");
      } else {
        graceful.handleRequest(exchange);
      }
    };
    this.undertow = Undertow.builder()
        .addHttpListener(port, host)
        .setIoThreads(ioThreads)
        .setWorkerThreads(workerThreads)
        // Undertow's hard cap, above the API's limit by what the API may read to drop
        .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, maxRequestBytes + RequestBody.DRAIN_BYTES)
        .setHandler(root)
        .build();
    try {
      undertow.start();
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IOException("cannot listen on " + host + ":" + port + ": "
          + (cause instanceof BindException ? cause.getMessage() : cause.toString()), e);
    }
    this.address = (InetSocketAddress) undertow.getListenerInfo().get(0).getAddress();
  }

  /**
   * Listens on {@code host:port} and serves until {@link #shutdown}.
   *
   * @param core what the API serves, and whose {@link ServingCore#readiness()} {@code /readyz}
   *     tells
   * @param host the address to listen on
   * @param port the port, 0 for any free one
   * @param maxRequestBytes larger bodies get 413
   * @param ioThreads Undertow's I/O threads
   * @param workerThreads the threads that parse requests and wait for predictions
   * @param ui whether to serve the page at {@code /} and its endpoints under {@code /ui/}
   * @param corsAllowOrigins origins whose pages may call the API ({@code scheme://host[:port]},
   *     or {@code *} for any), checked by {@code ModelServer.Builder.corsAllowOrigins}; empty
   *     for no CORS
   * @param metricsPath where to serve the metrics in Prometheus's text format (checked by {@code
   *     ServingMetrics.checkPath}), or null for nowhere
   * @return the server, listening
   * @throws IOException if it cannot listen there
   */
  public static RestServer start(ServingCore core, String host, int port, long maxRequestBytes,
      int ioThreads, int workerThreads, boolean ui, List<String> corsAllowOrigins,
      String metricsPath) throws IOException {
    return new RestServer(core, host, port, maxRequestBytes, ioThreads, workerThreads, ui,
        List.copyOf(corsAllowOrigins), metricsPath);
  }

  /**
   * Runs single-row requests of zeros through the REST request path in-process, so that the
   * first client does not wait for the JVM to compile it.
   *
   * @param model the model to send them to
   * @param requests how many
   * @return how many ran; 0 when the model's default signature is not one input of rows of
   *     numbers, or it refuses zeros
   */
  public int warmUp(String model, int requests) {
    return api.warmUp(model, requests);
  }

  public InetSocketAddress address() {
    return address;
  }

  /**
   * New requests get 503 from here on (but the probes: {@code /healthz} still answers 200); those in flight may finish for up to {@code grace}; then
   * the listener and connections close. Returns whether every request finished in time.
   */
  public boolean shutdown(Duration grace) {
    // (Undertow's ListenerInfo.suspend would also stop new connections, but it closes the open
    // ones too, requests in flight with them.)
    stopping = true;
    graceful.shutdown();
    boolean drained;
    try {
      drained = graceful.awaitShutdown(grace.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      drained = false;
    }
    undertow.stop();
    return drained;
  }
}
