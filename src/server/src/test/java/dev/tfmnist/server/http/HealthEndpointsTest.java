package dev.tfmnist.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.Readiness;
import dev.tfmnist.server.ServingCore;
import dev.tfmnist.server.models.ModelConfig;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.VersionDirsAccess;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /healthz} and {@code /readyz} over loopback with real models, through a server's life:
 * versions loading, a base path without versions, a model added by a reload, the drain.
 */
class HealthEndpointsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ONE_IMAGE =
      "{\"instances\": [" + ModelServerTest.floats(TestModels.testImages(0, 1), 0, 784) + "]}";

  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

  record Reply(int status, JsonNode body, HttpResponse<String> response) {}

  private Reply get(int port, String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build());
  }

  private Reply send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    return new Reply(response.statusCode(), JSON.readTree(response.body()), response);
  }

  private static void assertLive(Reply reply) throws IOException {
    assertEquals(200, reply.status(), reply.body().toString());
    assertEquals(JSON.readTree("{\"status\": \"ok\"}"), reply.body());
  }

  private static void assertReady(Reply reply) throws IOException {
    assertEquals(200, reply.status(), reply.body().toString());
    assertEquals(JSON.readTree("{\"ready\": true}"), reply.body());
  }

  private static void assertNotReady(Reply reply, String reason) {
    assertEquals(503, reply.status(), reply.body().toString());
    assertEquals(2, reply.body().size(), reply.body().toString());
    assertFalse(reply.body().get("ready").asBoolean());
    assertEquals(reason, reply.body().get("reason").asText());
  }

  /** GETs {@code path} until a reply passes {@code until}; fails after {@code timeout}. */
  private Reply poll(int port, String path, Predicate<Reply> until, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Reply last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = get(port, path);
        if (until.test(last)) {
          return last;
        }
      } catch (ConnectException notListeningYet) {
        // the server is still starting
      }
      Thread.sleep(10);
    }
    throw new AssertionError("GET " + path + " never passed within " + timeout + "; last: "
        + (last == null ? "no connection" : last.status() + " " + last.body()));
  }

  /** Loads SavedModels for real, each after the test opens the gate. */
  private static final class GatedLoader implements ModelManager.VersionLoader {
    final CountDownLatch loading = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);

    @Override
    public LoadedModel load(Path dir) throws IOException {
      loading.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      return LoadedModel.load(dir);
    }
  }

  @Test
  void aServingServerIsLiveAndReady() throws Exception {
    try (var model = LoadedModel.load(TestModels.tf1Model());
        var server = ModelServer.builder(model).name("mnist").port(0).batching(null).start()) {
      Reply live = get(server.port(), "/healthz");
      assertLive(live);
      Reply ready = get(server.port(), "/readyz");
      assertReady(ready);
      for (Reply reply : List.of(live, ready)) {
        assertEquals("application/json", reply.response().headers().firstValue("Content-Type")
            .orElse(""));
        assertEquals("no-store", reply.response().headers().firstValue("Cache-Control")
            .orElse(""), "a proxy must not answer a probe from its cache");
      }
      assertEquals(Readiness.READY, server.readiness());
      // only GET is a probe; anything else is a path the API does not serve, as before
      Reply post = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
          + "/readyz")).POST(HttpRequest.BodyPublishers.ofString("{}")).build());
      assertEquals(400, post.status());
      assertEquals("Malformed request: POST /readyz", post.body().get("error").asText());
    }
  }

  @Test
  void theRuleInOrderShuttingDownThenModelsThenTheServersWarmUp() throws Exception {
    try (var model = LoadedModel.load(TestModels.tf1Model());
        var models = ModelManager.serving("mnist", 1, model);
        var core = new ServingCore(models, null, Duration.ofSeconds(30))) {
      assertEquals(Readiness.notReady("the server is warming up"), core.readiness());
      core.serving();
      assertEquals(Readiness.READY, core.readiness());
      core.shuttingDown();
      core.serving();  // too late: a server shutting down stays so
      assertEquals(Readiness.notReady("the server is shutting down"), core.readiness());
    }
    assertThrows(IllegalArgumentException.class, () -> new Readiness(true, "but why"));
    assertThrows(IllegalArgumentException.class, () -> new Readiness(false, ""));
    assertEquals("failed: a b", Readiness.notReady("failed:\n  a\r\nb ").reason());
  }

  @Test
  void notReadyUntilAVersionIsAvailableAsItAppearsLoadsAndAModelIsAdded(@TempDir Path dir)
      throws Exception {
    Path base = Files.createDirectories(dir.resolve("mnist"));
    Path emptyBase = Files.createDirectories(dir.resolve("fashion"));
    var loader = new GatedLoader();
    Duration poll = Duration.ofMillis(200);
    try (var models = ModelManager.builder(loader).pollInterval(poll)
            .start(List.of(ModelConfig.of("mnist", base)));
        var server = ModelServer.builder(models).port(0).start()) {
      int port = server.port();
      assertLive(get(port, "/healthz"));
      assertNotReady(get(port, "/readyz"), "model mnist has no version available yet: no"
          + " versions of model mnist found under base path " + base);
      assertEquals(404, get(port, "/v1/models/mnist").status(), "TF Serving's status: none yet");

      VersionDirsAccess.add(base, "1");
      assertTrue(loader.loading.await(1, TimeUnit.MINUTES), "version 1 was never loaded");
      assertNotReady(get(port, "/readyz"),
          "model mnist has no version available yet: loading version 1");
      assertLive(get(port, "/healthz"));
      long opened = System.nanoTime();
      loader.gate.countDown();
      assertReady(poll(port, "/readyz", reply -> reply.status() == 200, Duration.ofMinutes(1)));
      System.out.printf("ready %d ms after the load could start%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened));
      Reply prediction = send(HttpRequest.newBuilder(URI.create(server.modelUri() + ":predict"))
          .POST(HttpRequest.BodyPublishers.ofString(ONE_IMAGE)).build());
      assertEquals(7, prediction.body().at("/predictions/0/classes").asInt());

      // a config reload adds a model with nothing to serve: the server is not ready for it
      models.reconfigure(List.of(ModelConfig.of("mnist", base), ModelConfig.of("fashion",
          emptyBase)));
      assertNotReady(get(port, "/readyz"), "model fashion has no version available yet: no"
          + " versions of model fashion found under base path " + emptyBase);
      assertEquals(200, get(port, "/v1/models/mnist").status(), "mnist serves on meanwhile");
      models.reconfigure(List.of(ModelConfig.of("mnist", base)));
      assertReady(get(port, "/readyz"));
    }
  }

  @Test
  void listensAndAnswersProbesWhileAManagerStartedInTheBackgroundLoads(@TempDir Path dir)
      throws Exception {
    Path base = dir.resolve("mnist");
    VersionDirsAccess.add(base, "1");
    var loader = new GatedLoader();
    int port;
    try (var free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();  // start() returns once loaded: the port must be known before
    }
    try (var models = ModelManager.builder(loader).pollInterval(Duration.ZERO)
        .startInBackground(List.of(ModelConfig.of("mnist", base)))) {
      CompletableFuture<ModelServer> starting = CompletableFuture.supplyAsync(() -> {
        try {
          return ModelServer.builder(models).port(port).start();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      try {
        assertTrue(loader.loading.await(1, TimeUnit.MINUTES), "version 1 was never loaded");
        assertNotReady(poll(port, "/readyz", reply -> true, Duration.ofMinutes(1)),
            "model mnist has no version available yet: loading version 1");
        assertLive(get(port, "/healthz"));
        assertFalse(starting.isDone(), "start() returns once the models are loaded");
      } finally {
        loader.gate.countDown();
      }
      try (ModelServer server = starting.get(1, TimeUnit.MINUTES)) {
        assertReady(get(port, "/readyz"));
        assertEquals(1, server.version());
        assertTrue(server.warmUpRuns() > 0, "warmed up once loaded");
      }
    }
  }

  @Test
  void drainingIsLiveButNotReadyWhileTheRequestInFlightFinishes() throws Exception {
    var model = LoadedModel.load(TestModels.tf1Model());
    ModelServer server = ModelServer.builder(model).name("mnist").port(0).batching(null)
        .corsAllowOrigins(List.of("https://app.example")).start();
    int port = server.port();
    // a prediction whose body stops half-way until the test sends the rest: in flight for sure
    byte[] body = ONE_IMAGE.getBytes(StandardCharsets.US_ASCII);
    int half = body.length / 2;
    try (var socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(60_000);
      var out = socket.getOutputStream();
      out.write(("POST /v1/models/mnist:predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, half);
      out.flush();
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
      while (server.inFlightPredictions() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(1, server.inFlightPredictions(), "the prediction never arrived");
      CompletableFuture<Boolean> shutdown =
          CompletableFuture.supplyAsync(() -> server.shutdown(Duration.ofMinutes(1)));

      Reply notReady = poll(port, "/readyz", reply -> reply.status() == 503,
          Duration.ofMinutes(1));
      assertNotReady(notReady, "the server is shutting down");
      assertEquals(Readiness.notReady("the server is shutting down"), server.readiness());
      assertLive(get(port, "/healthz"));
      // new API requests are refused meanwhile, with the CORS headers of any answer
      Reply refused = poll(port, "/v1/models/mnist", reply -> reply.status() == 503,
          Duration.ofMinutes(1));
      assertEquals("the server is shutting down", refused.body().get("error").asText());
      Reply refusedCors = send(HttpRequest.newBuilder(server.modelUri())
          .header("Origin", "https://app.example").build());
      assertEquals(503, refusedCors.status());
      assertEquals("https://app.example", refusedCors.response().headers()
          .firstValue("Access-Control-Allow-Origin").orElse(""));
      assertFalse(shutdown.isDone(), "shutdown waits for the prediction");

      out.write(body, half, body.length - half);
      out.flush();
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          StandardCharsets.US_ASCII));
      assertEquals("HTTP/1.1 200 OK", in.readLine(), "the prediction in flight is answered");
      int length = -1;
      for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(line.indexOf(':') + 1).strip());
        }
      }
      char[] answer = new char[length];
      for (int read = 0; read < length; ) {
        read += in.read(answer, read, length - read);
      }
      assertEquals(7, JSON.readTree(new String(answer)).at("/predictions/0/classes").asInt());
      assertTrue(shutdown.get(1, TimeUnit.MINUTES), "every request finished in time");
      assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(),
          "the listener closed");
    } finally {
      server.close();  // at once when already shut down
      model.close();
    }
  }

  /** The phrases a model's reason takes, through the manager's own states. */
  @Test
  void aVersionThatFailsToLoadIsTheReason(@TempDir Path dir) throws Exception {
    Path base = Files.createDirectories(dir.resolve("mnist"));
    Files.createDirectories(base.resolve("1"));
    Files.writeString(base.resolve("1").resolve("saved_model.pb"), "not a protocol buffer");
    try (var models = ModelManager.builder(LoadedModel::load).pollInterval(Duration.ZERO)
            .start(List.of(ModelConfig.of("mnist", base)));
        var server = ModelServer.builder(models).port(0).start()) {
      Reply reply = get(server.port(), "/readyz");
      assertEquals(503, reply.status());
      String reason = reply.body().get("reason").asText();
      assertTrue(reason.startsWith("model mnist has no version available yet: version 1 failed"
          + " to load: "), reason);
      assertFalse(reason.contains("\n"), reason);
      assertTrue(models.unavailableReason("mnist").orElseThrow()
          .startsWith("version 1 failed to load: "), "the manager's own phrase");
    }
  }
}
