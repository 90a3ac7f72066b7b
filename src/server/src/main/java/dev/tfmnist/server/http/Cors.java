package dev.tfmnist.server.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Cross-origin resource sharing, so that pages of other origins may call the REST API from a
 * browser; off unless origins are given. TF Serving's {@code --rest_api_enable_cors_support}
 * allows every origin; this allows a list of them, or every one with {@code *}:
 *
 * <ul>
 *   <li>a preflight ({@code OPTIONS} with {@code Origin} and {@code
 *       Access-Control-Request-Method}) from an allowed origin gets 204 with {@code
 *       Access-Control-Allow-Origin}, {@code -Allow-Methods: GET, POST, OPTIONS}, {@code
 *       -Allow-Headers} (the headers asked for, else {@code Content-Type}) and {@code -Max-Age};
 *       from any other origin, 403 and no such headers;
 *   <li>every other response, errors included, gets {@code Access-Control-Allow-Origin}: {@code
 *       *} when every origin is allowed (as TF Serving, with or without an {@code Origin}), else
 *       the request's origin when it is on the list. With a list, every response also gets
 *       {@code Vary: Origin}, so that a cache keeps one origin's answer from another (as the
 *       Fetch standard asks of servers whose answer depends on the origin).
 * </ul>
 *
 * No credentials: the API has none. Origins are compared without regard to case.
 */
final class Cors {
  /** What TF Serving's API serves, and the preflight itself. */
  static final String ALLOWED_METHODS = "GET, POST, OPTIONS";
  /** How long a browser may reuse a preflight's answer: a day (browsers cap it, Chrome at 2 h). */
  static final long MAX_AGE_SECONDS = 86_400;
  static final HttpString ALLOW_ORIGIN = new HttpString("Access-Control-Allow-Origin");
  static final HttpString ALLOW_METHODS = new HttpString("Access-Control-Allow-Methods");
  static final HttpString ALLOW_HEADERS = new HttpString("Access-Control-Allow-Headers");
  static final HttpString MAX_AGE = new HttpString("Access-Control-Max-Age");
  static final HttpString REQUEST_METHOD = new HttpString("Access-Control-Request-Method");
  static final HttpString REQUEST_HEADERS = new HttpString("Access-Control-Request-Headers");

  private final boolean enabled;
  private final boolean anyOrigin;
  private final Set<String> origins;

  /**
   * @param allowOrigins origins as {@code scheme://host[:port]}, or {@code *} for any; none
   *     turns CORS off. Checked by {@code ModelServer.Builder.corsAllowOrigins}.
   */
  Cors(List<String> allowOrigins) {
    this.enabled = !allowOrigins.isEmpty();
    this.anyOrigin = allowOrigins.contains("*");
    this.origins = allowOrigins.stream().map(origin -> origin.toLowerCase(Locale.ROOT))
        .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * Adds the CORS headers a request's response gets, and answers it when it is a preflight.
   *
   * @param exchange any request, before its handler runs
   * @return whether the request was a preflight, now answered
   */
  boolean handle(HttpServerExchange exchange) {
    if (!enabled) {
      return false;
    }
    HeaderMap request = exchange.getRequestHeaders();
    HeaderMap response = exchange.getResponseHeaders();
    String origin = request.getFirst(Headers.ORIGIN);
    boolean allowed = anyOrigin
        || (origin != null && origins.contains(origin.toLowerCase(Locale.ROOT)));
    if (anyOrigin) {
      response.put(ALLOW_ORIGIN, "*");
    } else {
      response.put(Headers.VARY, Headers.ORIGIN_STRING);
      if (allowed) {
        response.put(ALLOW_ORIGIN, origin);
      }
    }
    boolean preflight = exchange.getRequestMethod().equals(Methods.OPTIONS) && origin != null
        && request.contains(REQUEST_METHOD);
    if (!preflight) {
      return false;
    }
    if (!allowed) {
      RestJson.sendError(exchange, 403, "CORS: origin " + origin + " is not allowed");
      return true;
    }
    String headers = request.getFirst(REQUEST_HEADERS);
    response.put(ALLOW_METHODS, ALLOWED_METHODS);
    response.put(ALLOW_HEADERS, headers == null || headers.isBlank() ? "Content-Type" : headers);
    response.put(MAX_AGE, MAX_AGE_SECONDS);
    exchange.setStatusCode(204);
    exchange.endExchange();
    return true;
  }
}
