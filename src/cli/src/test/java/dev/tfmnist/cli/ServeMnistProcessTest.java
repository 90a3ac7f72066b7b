package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.testing.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ServeMnist as users run it: its own JVM, a real port, and SIGTERM (Process.destroy) while a
 * prediction is in flight. The prediction must be answered in full and the process exit with 0.
 */
class ServeMnistProcessTest {
  private static final Pattern SERVING =
      Pattern.compile("Serving mnist version 1 at (http://127\\.0\\.0\\.1:\\d+/v1/models/mnist)");
  /** Enough images that the prediction takes a good fraction of a second on two cores. */
  private static final int IMAGES = 3000;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void sigtermLetsTheRequestInFlightFinishAndExitsWithZero(@TempDir Path dir) throws Exception {
    var command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        ServeMnist.class.getName(),
        "--model", TrainedExport.get().baseDir().toString(), "--port", "0", "--grpc-port", "0");
    // Files, not pipes: Process.destroy() closes the pipes, and the server's last lines with them.
    Path outFile = dir.resolve("out.txt");
    Path errFile = dir.resolve("err.txt");
    var builder = new ProcessBuilder(command)
        .redirectOutput(outFile.toFile())
        .redirectError(errFile.toFile());
    // Earlier tests in this JVM set it through libc, and a child inherits libc's environment
    // unless given one: the server must quiet TensorFlow by itself.
    builder.environment().remove(NativeLog.LEVEL_VARIABLE);
    Process server = builder.start();
    try {
      String base = awaitServing(outFile, errFile, server);
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

      HttpResponse<String> status = client.send(HttpRequest.newBuilder(URI.create(base)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, status.statusCode(), status.body());
      assertEquals("AVAILABLE", JSON.readTree(status.body()).at("/model_version_status/0/state").asText());

      String body = "{\"inputs\": " + rows(TestModels.testImages(0, IMAGES)) + "}";
      CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
          HttpRequest.newBuilder(URI.create(base + ":predict"))
              .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      awaitInFlight(client, base, inFlight);
      server.destroy();  // SIGTERM

      HttpResponse<String> answer = inFlight.get(2, TimeUnit.MINUTES);
      assertEquals(200, answer.statusCode(), answer.body());
      JsonNode outputs = JSON.readTree(answer.body()).get("outputs");
      assertEquals(IMAGES, outputs.get("classes").size(), "the whole answer arrived");
      assertEquals(7, outputs.get("classes").get(0).asInt());

      assertTrue(server.waitFor(2, TimeUnit.MINUTES), "the server did not exit");
      String out = Files.readString(outFile);
      String err = Files.readString(errFile);
      assertEquals(0, server.exitValue(), "exit code; stdout:\n" + out + "stderr:\n" + err);
      assertTrue(out.endsWith("Shutting down: 1 predictions in flight\nStopped.\n"), out);
      assertEquals("", err, "stderr should be empty");
    } finally {
      server.destroyForcibly();
    }
  }

  /**
   * What an orchestrator sees of a starting server: the REST port listens while the version
   * loads, {@code /healthz} 200 and {@code /readyz} 503 with the reason, then 200; and the CORS
   * headers {@code --cors-allow-origin} asks for.
   */
  @Test
  void probesAnswerWhileTheModelLoadsThenItIsReady(@TempDir Path dir) throws Exception {
    int port;
    try (var free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();  // a probe knows the port before the server says it
    }
    var command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        ServeMnist.class.getName(),
        "--model", TestModels.tf1Model().toString(), "--port", Integer.toString(port),
        "--grpc-port", "-1", "--cors-allow-origin", "https://app.example");
    Path outFile = dir.resolve("out.txt");
    var builder = new ProcessBuilder(command)
        .redirectOutput(outFile.toFile())
        .redirectError(dir.resolve("err.txt").toFile());
    builder.environment().remove(NativeLog.LEVEL_VARIABLE);
    Process server = builder.start();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      String root = "http://127.0.0.1:" + port;
      var notReady = new java.util.LinkedHashSet<String>();
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      HttpResponse<String> ready = null;
      while (ready == null && System.nanoTime() < deadline) {
        assertTrue(server.isAlive(), () -> "ServeMnist exited: " + read(outFile));
        try {
          HttpResponse<String> readyz = client.send(HttpRequest.newBuilder(
              URI.create(root + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
          if (readyz.statusCode() == 200) {
            ready = readyz;
          } else {
            assertEquals(503, readyz.statusCode(), readyz.body());
            notReady.add(JSON.readTree(readyz.body()).get("reason").asText());
            HttpResponse<String> healthz = client.send(HttpRequest.newBuilder(
                URI.create(root + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, healthz.statusCode(), "live while not ready");
          }
        } catch (java.net.ConnectException notListeningYet) {
          Thread.sleep(10);
        }
      }
      assertTrue(ready != null, "never ready:\n" + read(outFile));
      assertEquals("{\"ready\":true}", ready.body());
      System.out.println("/readyz said 503 before 200: " + notReady);
      assertTrue(!notReady.isEmpty(), "never saw the server not ready");
      var expected = java.util.Set.of("model mnist has no version available yet: loading version 1",
          "the server is warming up");
      assertTrue(expected.containsAll(notReady), notReady.toString());

      HttpResponse<String> status = client.send(HttpRequest.newBuilder(
              URI.create(root + "/v1/models/mnist")).header("Origin", "https://app.example").build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, status.statusCode(), status.body());
      assertEquals("https://app.example",
          status.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
      HttpResponse<String> preflight = client.send(HttpRequest.newBuilder(
              URI.create(root + "/v1/models/mnist:predict"))
          .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
          .header("Origin", "https://app.example")
          .header("Access-Control-Request-Method", "POST").build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(204, preflight.statusCode());
      assertEquals("GET, POST, OPTIONS",
          preflight.headers().firstValue("Access-Control-Allow-Methods").orElse(""));

      server.destroy();  // SIGTERM
      assertTrue(server.waitFor(2, TimeUnit.MINUTES), "the server did not exit");
      assertEquals(0, server.exitValue(), read(outFile));
    } finally {
      server.destroyForcibly();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  /** Waits for the line that says where the server listens; returns the model's URL. */
  private static String awaitServing(Path outFile, Path errFile, Process server) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (System.nanoTime() < deadline) {
      String out = Files.readString(outFile);
      Matcher m = SERVING.matcher(out);
      if (m.find()) {
        // a base directory: the version loaded, its signatures, then where it is served
        assertTrue(out.startsWith("Running on: ") && out.contains("\nLoaded mnist version 1 in ")
            && out.contains("\nsignature ") && out.contains("\ngRPC: 127.0.0.1:"),
            "the device line, the version loaded, the signature table, the gRPC address:\n" + out);
        return m.group(1);
      }
      if (!server.isAlive()) {
        throw new AssertionError("ServeMnist exited with " + server.exitValue() + ":\n" + out
            + Files.readString(errFile));
      }
      Thread.sleep(50);
    }
    throw new AssertionError("ServeMnist did not start:\n" + Files.readString(outFile));
  }

  /** Polls the stats endpoint until the big prediction is being handled. */
  private static void awaitInFlight(HttpClient client, String base,
      CompletableFuture<HttpResponse<String>> request) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (System.nanoTime() < deadline) {
      assertTrue(!request.isDone(), "the prediction finished before SIGTERM could be sent: "
          + "make it bigger");
      HttpResponse<String> stats = client.send(HttpRequest.newBuilder(URI.create(base + "/stats"))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (JSON.readTree(stats.body()).get("in_flight_predictions").asInt() > 0) {
        return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the prediction never showed up as in flight");
  }

  private static String rows(float[] images) {
    var sb = new StringBuilder("[");
    for (int i = 0; i < images.length / 784; i++) {
      sb.append(i == 0 ? "[" : ",[");
      for (int p = 0; p < 784; p++) {
        sb.append(p == 0 ? "" : ",").append(images[i * 784 + p]);
      }
      sb.append(']');
    }
    return sb.append(']').toString();
  }
}
