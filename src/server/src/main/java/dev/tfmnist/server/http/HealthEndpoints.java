package dev.tfmnist.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfmnist.server.Readiness;
import dev.tfmnist.server.ServingCore;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;

/**
 * The probes orchestrators call, not TF Serving's (it has none): {@code GET /healthz}, 200 while
 * the process serves HTTP at all, draining included; {@code GET /readyz}, 200 when {@link
 * ServingCore#readiness()} says ready, else 503 with the reason. Answered on the I/O thread,
 * ahead of the API's workers and of the shutdown's 503, and left out of the metrics.
 */
final class HealthEndpoints {
  static final String LIVENESS_PATH = "/healthz";
  static final String READINESS_PATH = "/readyz";

  private final ServingCore core;

  HealthEndpoints(ServingCore core) {
    this.core = core;
  }

  /**
   * Answers a probe.
   *
   * @param exchange any request
   * @return whether it was a probe, now answered; false leaves the exchange untouched
   */
  boolean handle(HttpServerExchange exchange) {
    if (!exchange.getRequestMethod().equals(Methods.GET)) {
      return false;
    }
    String path = exchange.getRequestPath();
    ObjectNode body = RestJson.JSON.createObjectNode();
    int status;
    if (path.equals(LIVENESS_PATH)) {
      body.put("status", "ok");
      status = 200;
    } else if (path.equals(READINESS_PATH)) {
      Readiness readiness = core.readiness();
      body.put("ready", readiness.ready());
      if (!readiness.ready()) {
        body.put("reason", readiness.reason());
      }
      status = readiness.ready() ? 200 : 503;
    } else {
      return false;
    }
    // a probe through a proxy must see the server's state now, not a copy
    exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
    RestJson.send(exchange, status, body);
    return true;
  }
}
