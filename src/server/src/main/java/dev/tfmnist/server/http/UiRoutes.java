package dev.tfmnist.server.http;

import dev.tfmnist.server.ServingCore;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The page in front of the REST API: {@code GET /} serves it, {@code GET /ui/<file>} its script,
 * style sheet and icon (packed in the jar under {@code dev/tfmnist/server/ui/}), and {@code
 * /ui/v1/...} its endpoints ({@link UiApi}); every other request goes on to the REST API. The
 * page's responses carry a Content-Security-Policy that lets it speak only to its own origin.
 */
final class UiRoutes implements HttpHandler {
  /** The page's files, by the path they are served at: nothing else under /ui/ is. */
  private static final Map<String, String> FILES = Map.of(
      "/", "index.html",
      "/ui/app.js", "app.js",
      "/ui/style.css", "style.css",
      "/ui/favicon.svg", "favicon.svg");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "svg", "image/svg+xml");
  private static final String MODELS = "/ui/v1/models";
  private static final String PREDICT = "/ui/v1/predict";
  /** Own origin only: scripts, styles, fetches, images (and the canvas's blob: and data: URLs). */
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self';"
      + " img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none';"
      + " frame-ancestors 'none'";

  private final HttpHandler next;
  private final UiApi api;
  private final ServingCore core;
  private final Map<String, byte[]> files;

  UiRoutes(ServingCore core, long maxRequestBytes, String metricsPath, HttpHandler next) {
    this.core = core;
    this.next = next;
    this.api = new UiApi(core, maxRequestBytes, metricsPath);
    var loaded = new java.util.HashMap<String, byte[]>();
    FILES.forEach((path, file) -> loaded.put(path, resource(file)));
    this.files = Map.copyOf(loaded);
  }

  private static byte[] resource(String file) {
    try (InputStream in = UiRoutes.class.getResourceAsStream("/dev/tfmnist/server/ui/" + file)) {
      if (in == null) {
        throw new IllegalStateException("the server's jar lacks the page's file " + file);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String path = exchange.getRequestPath();
    if (!path.equals("/") && !path.startsWith("/ui/")) {
      next.handleRequest(exchange);
      return;
    }
    if (exchange.isInIoThread()) {
      exchange.dispatch(this);  // predictions block: run them on a worker thread
      return;
    }
    exchange.startBlocking();
    var headers = exchange.getResponseHeaders();
    headers.put(HttpString.tryFromString("Content-Security-Policy"), CSP);
    headers.put(HttpString.tryFromString("X-Content-Type-Options"), "nosniff");
    headers.put(HttpString.tryFromString("Referrer-Policy"), "no-referrer");
    headers.put(Headers.CACHE_CONTROL, "no-cache");
    try {
      route(exchange, path, exchange.getRequestMethod());
    } catch (RuntimeException e) {
      RestJson.sendFailure(exchange, core.failures(), e);
    }
  }

  private void route(HttpServerExchange exchange, String path, HttpString method) {
    HttpString allowed = path.equals(PREDICT) ? Methods.POST : Methods.GET;
    boolean known = files.containsKey(path) || path.equals(MODELS) || path.equals(PREDICT);
    if (!known) {
      throw new ApiException(404, "no such page: " + path);
    }
    if (!method.equals(allowed)) {
      exchange.getResponseHeaders().put(Headers.ALLOW, allowed.toString());
      throw new ApiException(405, path + " takes " + allowed + ", not " + method);
    }
    switch (path) {
      case MODELS -> api.models(exchange);
      case PREDICT -> api.predict(exchange);
      default -> {
        byte[] file = files.get(path);
        String name = FILES.get(path);
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE,
            TYPES.get(name.substring(name.lastIndexOf('.') + 1)));
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, file.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(file));
      }
    }
  }
}
