package dev.tfmnist.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * CORS over loopback, as a browser sends it: preflights and actual requests from allowed and
 * other origins, to servers with a list of origins, with {@code *}, and without the option.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String APP = "https://app.example";
  private static final String ONE_IMAGE =
      "{\"instances\": [" + ModelServerTest.floats(TestModels.testImages(0, 1), 0, 784) + "]}";

  private LoadedModel model;
  private ModelServer listed;
  private ModelServer anyOrigin;
  private ModelServer noCors;
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  void start() throws IOException {
    model = LoadedModel.load(TestModels.tf1Model());
    listed = server().corsAllowOrigins(List.of(APP, "http://localhost:3000")).start();
    anyOrigin = server().corsAllowOrigins(List.of("*")).start();
    noCors = server().start();
  }

  private ModelServer.Builder server() {
    return ModelServer.builder(model).name("mnist").port(0).batching(null).warmUp(false);
  }

  @AfterAll
  void stop() {
    for (var server : new ModelServer[] {listed, anyOrigin, noCors}) {
      if (server != null) {
        server.close();
      }
    }
    model.close();
  }

  private HttpResponse<String> preflight(ModelServer server, String path, String origin,
      String requestHeaders) throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST");
    if (requestHeaders != null) {
      request.header("Access-Control-Request-Headers", requestHeaders);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(ModelServer server, String path, String origin)
      throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    if (origin != null) {
      request.header("Origin", origin);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(ModelServer server, String path, String origin, String body)
      throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
            + path)).header("Origin", origin).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The Access-Control-* headers of a response, and Vary. */
  private static Map<String, String> corsHeaders(HttpResponse<?> response) {
    var found = new TreeMap<String, String>();
    HttpHeaders headers = response.headers();
    headers.map().forEach((name, values) -> {
      String lower = name.toLowerCase(java.util.Locale.ROOT);
      if (lower.startsWith("access-control-") || lower.equals("vary")) {
        found.put(lower, String.join(", ", values));
      }
    });
    return found;
  }

  @Test
  void aPreflightFromAnAllowedOriginGetsWhatItAsked() throws Exception {
    HttpResponse<String> response = preflight(listed, "/v1/models/mnist:predict", APP,
        "content-type, x-request-id");
    assertEquals(204, response.statusCode(), response.body());
    assertEquals("", response.body());
    assertEquals(Map.of("access-control-allow-origin", APP,
        "access-control-allow-methods", "GET, POST, OPTIONS",
        "access-control-allow-headers", "content-type, x-request-id",
        "access-control-max-age", "86400",
        "vary", "Origin"), corsHeaders(response));
    // no headers asked for: Content-Type, what a JSON POST needs; any path, the probes too
    HttpResponse<String> plain = preflight(listed, "/readyz", "http://localhost:3000", null);
    assertEquals(204, plain.statusCode());
    assertEquals("Content-Type", plain.headers().firstValue("Access-Control-Allow-Headers")
        .orElse(""));
    assertEquals("http://localhost:3000", plain.headers()
        .firstValue("Access-Control-Allow-Origin").orElse(""));
  }

  @Test
  void aPreflightFromAnyOtherOriginIsRefusedWithoutAllowHeaders() throws Exception {
    for (String origin : List.of("https://evil.example", "https://app.example:8443",
        "http://app.example", "https://app.example.evil.example", "null")) {
      HttpResponse<String> response = preflight(listed, "/v1/models/mnist:predict", origin,
          "content-type");
      assertEquals(403, response.statusCode(), origin);
      assertEquals(Map.of("vary", "Origin"), corsHeaders(response), origin);
      assertEquals("CORS: origin " + origin + " is not allowed",
          JSON.readTree(response.body()).get("error").asText());
    }
  }

  @Test
  void actualRequestsFromAnAllowedOriginCarryItErrorsIncluded() throws Exception {
    Map<String, String> allowed = Map.of("access-control-allow-origin", APP, "vary", "Origin");
    HttpResponse<String> predict = post(listed, "/v1/models/mnist:predict", APP, ONE_IMAGE);
    assertEquals(200, predict.statusCode(), predict.body());
    assertEquals(7, JSON.readTree(predict.body()).at("/predictions/0/classes").asInt());
    assertEquals(allowed, corsHeaders(predict), "only a preflight gets the allow-* headers");
    HttpResponse<String> status = get(listed, "/v1/models/mnist", APP);
    assertEquals(200, status.statusCode());
    assertEquals(allowed, corsHeaders(status));
    for (var error : List.of(get(listed, "/v1/models/fashion", APP),
        post(listed, "/v1/models/mnist:predict", APP, "{\"instances\": [[0.1"),
        post(listed, "/v1/models/mnist:predict", APP, "{\"instances\": [[0.1]]}"))) {
      assertTrue(error.statusCode() == 404 || error.statusCode() == 400, error.body());
      assertEquals(allowed, corsHeaders(error), error.body());
    }
    assertEquals(allowed, corsHeaders(get(listed, "/healthz", APP)));
    assertEquals(allowed, corsHeaders(get(listed, "/monitoring/prometheus/metrics", APP)));
  }

  @Test
  void otherOriginsAndRequestsWithoutOneGetNoAllowOrigin() throws Exception {
    HttpResponse<String> other = post(listed, "/v1/models/mnist:predict", "https://evil.example",
        ONE_IMAGE);
    assertEquals(200, other.statusCode(), "answered: only a browser keeps a page from reading");
    assertEquals(Map.of("vary", "Origin"), corsHeaders(other));
    HttpResponse<String> noOrigin = get(listed, "/v1/models/mnist", null);
    assertEquals(200, noOrigin.statusCode());
    assertEquals(Map.of("vary", "Origin"), corsHeaders(noOrigin), "a cache must tell them apart");
    // an OPTIONS that is no preflight (no Access-Control-Request-Method) goes to the API
    HttpResponse<String> options = client.send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + listed.port() + "/v1/models/mnist"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", APP).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, options.statusCode());
    assertEquals(Optional.of(APP), options.headers().firstValue("Access-Control-Allow-Origin"));
  }

  @Test
  void withStarEveryOriginIsAllowedAsTensorFlowServingDoes() throws Exception {
    HttpResponse<String> preflight = preflight(anyOrigin, "/v1/models/mnist:predict",
        "https://anything.example", null);
    assertEquals(204, preflight.statusCode());
    assertEquals(Map.of("access-control-allow-origin", "*",
        "access-control-allow-methods", "GET, POST, OPTIONS",
        "access-control-allow-headers", "Content-Type",
        "access-control-max-age", "86400"), corsHeaders(preflight), "no Vary: one answer for all");
    HttpResponse<String> predict = post(anyOrigin, "/v1/models/mnist:predict",
        "https://anything.example", ONE_IMAGE);
    assertEquals(200, predict.statusCode());
    assertEquals(Map.of("access-control-allow-origin", "*"), corsHeaders(predict));
    HttpResponse<String> error = get(anyOrigin, "/v1/models/fashion", null);
    assertEquals(404, error.statusCode());
    assertEquals(Map.of("access-control-allow-origin", "*"), corsHeaders(error),
        "with or without an Origin, as TF Serving");
  }

  @Test
  void withoutTheOptionNoCorsHeadersAndOptionsIsMalformedAsBefore() throws Exception {
    HttpResponse<String> preflight = preflight(noCors, "/v1/models/mnist:predict", APP,
        "content-type");
    assertEquals(400, preflight.statusCode());
    assertEquals("Malformed request: OPTIONS /v1/models/mnist:predict",
        JSON.readTree(preflight.body()).get("error").asText());
    assertEquals(Map.of(), corsHeaders(preflight));
    HttpResponse<String> predict = post(noCors, "/v1/models/mnist:predict", APP, ONE_IMAGE);
    assertEquals(200, predict.statusCode());
    assertEquals(Map.of(), corsHeaders(predict));
    assertEquals(Map.of(), corsHeaders(get(noCors, "/v1/models/fashion", APP)));
  }

  @Test
  void originsMustBeWhatBrowsersSend() {
    for (String bad : List.of("https://app.example/", "app.example", "", "https://app.example/ui",
        "https://user@app.example", "https://", "**")) {
      var thrown = assertThrows(IllegalArgumentException.class,
          () -> ModelServer.builder(model).corsAllowOrigins(List.of(APP, bad)), bad);
      assertEquals("a CORS origin must be * or scheme://host[:port] without a path, got \""
          + bad + "\"", thrown.getMessage());
    }
    ModelServer.builder(model).corsAllowOrigins(List.of("*", "http://127.0.0.1:8080",
        "chrome-extension://abcdef", "http://[::1]:3000"));
  }
}
