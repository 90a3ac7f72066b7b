package dev.tfmnist.server.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.batching.BatchStats;
import dev.tfmnist.server.batching.BatchingOptions;
import dev.tfmnist.testing.Concurrently;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tensorflow.ndarray.Shape;

/**
 * The REST API over loopback with java.net.http, against TrainMnist's export: what a client
 * written for TensorFlow Serving sends and expects.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelServerTest {
  private static final int MAX_REQUEST_BYTES = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private LoadedModel model;
  private Predictor predictor;
  private ModelServer server;
  private HttpClient client;
  private String base;

  @BeforeAll
  void start() throws IOException {
    model = LoadedModel.load(TestModels.tf1Model());
    predictor = model.predictor();
    server = ModelServer.builder(model).name("mnist").port(0).maxRequestBytes(MAX_REQUEST_BYTES)
        .batching(BatchingOptions.builder().maxBatchSize(32).batchTimeout(Duration.ofMillis(2)).build())
        .start();
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    base = "http://127.0.0.1:" + server.port() + "/v1/models/mnist";
  }

  @AfterAll
  void stop() {
    server.close();
    model.close();
  }

  record Reply(int status, JsonNode body, String text) {}

  Reply get(String url) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(url)).GET().build());
  }

  Reply post(String url, String body) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  Reply send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(response.body());
    return new Reply(response.statusCode(), body, response.body());
  }

  static String floats(float[] values, int from, int n) {
    var sb = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(values[from + i]);
    }
    return sb.append(']').toString();
  }

  static String rows(float[] images, int count) {
    var sb = new StringBuilder("[");
    for (int i = 0; i < count; i++) {
      sb.append(i == 0 ? "" : ",").append(floats(images, i * 784, 784));
    }
    return sb.append(']').toString();
  }

  private Prediction inProcess(float[] images, int count) {
    return predictor.predict(TensorValue.ofFloats(Shape.of(count, 784), images));
  }

  private static float[] floatArray(JsonNode list) {
    float[] values = new float[list.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = list.get(i).floatValue();
    }
    return values;
  }

  static void assertOneLineError(Reply reply, int status, String fragment) {
    assertEquals(status, reply.status(), reply.text());
    assertEquals(1, reply.body().size(), reply.text());
    String error = reply.body().path("error").asText();
    assertFalse(error.isEmpty() || error.contains("\n"), reply.text());
    assertTrue(error.contains(fragment), "expected \"" + fragment + "\" in: " + error);
  }

  @Test
  void statusSaysTheVersionIsAvailable() throws Exception {
    for (String url : List.of(base, base + "/versions/1")) {
      Reply reply = get(url);
      assertEquals(200, reply.status(), reply.text());
      assertEquals(JSON.readTree("{\"model_version_status\":[{\"version\":\"1\",\"state\":"
          + "\"AVAILABLE\",\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}}]}"),
          reply.body());
    }
    assertOneLineError(get(base + "/versions/2"), 404, "Could not find version 2 of model mnist");
    assertOneLineError(get("http://127.0.0.1:" + server.port() + "/v1/models/fashion"), 404,
        "Latest(fashion)");
  }

  @Test
  void metadataHoldsTheSignatureDefs() throws Exception {
    for (String url : List.of(base + "/metadata", base + "/versions/1/metadata")) {
      Reply reply = get(url);
      assertEquals(200, reply.status(), reply.text());
      assertEquals("mnist", reply.body().at("/model_spec/name").asText());
      assertEquals("1", reply.body().at("/model_spec/version").asText());
      JsonNode signature = reply.body().at("/metadata/signature_def/signature_def/serving_default");
      JsonNode xs = signature.at("/inputs/xs");
      assertEquals("DT_FLOAT", xs.get("dtype").asText());
      assertEquals("xs:0", xs.get("name").asText());
      assertEquals("-1", xs.at("/tensor_shape/dim/0/size").asText());
      assertEquals("784", xs.at("/tensor_shape/dim/1/size").asText());
      assertEquals("DT_INT64", signature.at("/outputs/classes/dtype").asText());
      assertEquals("prediction:0", signature.at("/outputs/probabilities/name").asText());
      assertEquals("10", signature.at("/outputs/probabilities/tensor_shape/dim/1/size").asText());
    }
  }

  @Test
  void rowFormatAnswersPredictionsEqualToInProcess() throws Exception {
    float[] images = TestModels.testImages(0, 3);
    Reply reply = post(base + ":predict", "{\"instances\": " + rows(images, 3) + "}");
    assertEquals(200, reply.status(), reply.text());
    JsonNode predictions = reply.body().get("predictions");
    assertEquals(3, predictions.size());
    Prediction expected = inProcess(images, 3);
    float[] probabilities = expected.output("probabilities").floats();
    long[] classes = expected.output("classes").longs();
    for (int i = 0; i < 3; i++) {
      JsonNode row = predictions.get(i);
      assertEquals(classes[i], row.get("classes").asLong());
      assertArrayEquals(java.util.Arrays.copyOfRange(probabilities, i * 10, i * 10 + 10),
          floatArray(row.get("probabilities")));
    }
    assertArrayEquals(new long[] {7, 2, 1}, classes, "the first test digits are 7, 2, 1");
  }

  @Test
  void columnarFormatAnswersOutputs() throws Exception {
    float[] images = TestModels.testImages(10, 2);
    Prediction expected = inProcess(images, 2);
    for (String inputs : List.of("{\"xs\": " + rows(images, 2) + "}", rows(images, 2))) {
      Reply reply = post(base + "/versions/1:predict",
          "{\"signature_name\": \"serving_default\", \"inputs\": " + inputs + "}");
      assertEquals(200, reply.status(), reply.text());
      JsonNode outputs = reply.body().get("outputs");
      assertEquals(expected.output("classes").longs()[1], outputs.at("/classes/1").asLong());
      float[] actual = new float[20];
      for (int i = 0; i < 2; i++) {
        System.arraycopy(floatArray(outputs.get("probabilities").get(i)), 0, actual, i * 10, 10);
      }
      assertArrayEquals(expected.output("probabilities").floats(), actual);
    }
  }

  @Test
  void badRequestsGetOneLineErrorsAndTheServerKeepsServing() throws Exception {
    float[] image = TestModels.testImages(0, 1);
    String short783 = "{\"instances\": [" + floats(image, 0, 783) + "]}";
    String strings = "{\"instances\": [[" + "\"0.5\",".repeat(783) + "\"0.5\"]]}";
    String big = "{\"instances\": [[" + "0.25,".repeat(MAX_REQUEST_BYTES / 5) + "0.25]]}";

    Reply malformed = post(base + ":predict", "{\"instances\": [[0.1, 0.2");
    assertOneLineError(malformed, 400, "malformed JSON: Unexpected end-of-input");
    assertFalse(malformed.text().contains("REDACTED"), malformed.text());
    assertOneLineError(post(base + ":predict", short783), 400, "783 values in dimension 1");
    assertOneLineError(post(base + ":predict", strings), 400, "float32");
    assertOneLineError(post(base.replace("mnist", "nope") + ":predict", short783), 404,
        "Latest(nope)");
    assertOneLineError(post(base + ":predict",
        "{\"signature_name\": \"classify\", \"instances\": [" + floats(image, 0, 784) + "]}"),
        400, "\"classify\" not found");
    assertOneLineError(post(base + ":predict", big), 413, "limit of " + MAX_REQUEST_BYTES);
    byte[] bigBytes = big.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertOneLineError(send(HttpRequest.newBuilder(URI.create(base + ":predict"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(  // no length: sent chunked
            () -> new java.io.ByteArrayInputStream(bigBytes))).build()),
        413, "limit of " + MAX_REQUEST_BYTES);
    assertOneLineError(post(base + ":predict", "{\"instances\": []}"), 400, "empty");
    assertOneLineError(post(base + ":predict", "[1, 2]"), 400, "JSON object");
    assertOneLineError(post(base + ":predict", "{\"instance\": [1]}"), 400, "neither");
    // what TF Serving answers: a path or method it does not serve is 400, naming both
    assertOneLineError(get(base + ":predict"), 400, "Malformed request: GET /v1/models/mnist:predict");
    assertOneLineError(post(base, "{}"), 400, "Malformed request: POST /v1/models/mnist");
    assertOneLineError(post(base + ":PREDICT", "{}"), 400, "Malformed request");

    Reply ok = post(base + ":predict", "{\"instances\": [" + floats(image, 0, 784) + "]}");
    assertEquals(200, ok.status(), ok.text());
    assertEquals(7, ok.body().at("/predictions/0/classes").asInt());
  }

  @Test
  void wireDetailsAsTensorFlowServingHasThem() throws Exception {
    String request = "{\"instances\": [" + floats(TestModels.testImages(0, 1), 0, 784) + "]}";
    // a version number is a number: 01 is version 1; one that is no int64 is a 400
    assertEquals(200, get(base + "/versions/01").status());
    assertEquals(200, post(base + "/versions/0001:predict", request).status());
    assertOneLineError(get(base + "/versions/99999999999999999999"), 400,
        "Failed to convert version: 99999999999999999999 to numeric.");
    // signature_name must be a string, null included
    assertOneLineError(post(base + ":predict", request.replace("{", "{\"signature_name\": null, ")),
        400, "\"signature_name\" must be a string");
    // a gzip-compressed body, as clients send large requests
    var gzipped = new java.io.ByteArrayOutputStream();
    try (var gz = new java.util.zip.GZIPOutputStream(gzipped)) {
      gz.write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Reply unzipped = send(HttpRequest.newBuilder(URI.create(base + ":predict"))
        .header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofByteArray(gzipped.toByteArray())).build());
    assertEquals(200, unzipped.status(), unzipped.text());
    assertEquals(7, unzipped.body().at("/predictions/0/classes").asInt());
    assertOneLineError(send(HttpRequest.newBuilder(URI.create(base + ":predict"))
        .header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofString(request)).build()), 400, "not valid gzip");
  }

  @Test
  void expectContinueGetsItsHundredBeforeTheBodyIsSent() throws Exception {
    byte[] body = ("{\"instances\": [" + floats(TestModels.testImages(0, 1), 0, 784) + "]}")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try (var socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(30_000);
      var out = socket.getOutputStream();
      out.write(("POST /v1/models/mnist:predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length
          + "\r\nExpect: 100-continue\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          java.nio.charset.StandardCharsets.US_ASCII));
      assertEquals("HTTP/1.1 100 Continue", in.readLine(), "no 100 before the body was sent");
      assertEquals("", in.readLine());
      out.write(body);
      out.flush();
      assertEquals("HTTP/1.1 200 OK", in.readLine());
    }
  }

  @Test
  void withBatchingOffAnswersAreBitIdenticalToInProcess() throws Exception {
    try (var unbatched = ModelServer.builder(model).name("mnist").port(0).batching(null).start()) {
      String url = "http://127.0.0.1:" + unbatched.port() + "/v1/models/mnist:predict";
      float[] images = TestModels.testImages(100, 40);
      List<Integer> differing = Concurrently.onThreads(4, thread -> {
        int mismatches = 0;
        for (int image = thread; image < 40; image += 4) {
          Reply reply = post(url, "{\"instances\": [" + floats(images, image * 784, 784) + "]}");
          float[] expected = inProcess(java.util.Arrays.copyOfRange(images, image * 784,
              image * 784 + 784), 1).output("probabilities").floats();
          mismatches += java.util.Arrays.equals(expected,
              floatArray(reply.body().at("/predictions/0/probabilities"))) ? 0 : 1;
        }
        return mismatches;
      });
      assertEquals(List.of(0, 0, 0, 0), differing, "answers that differ from in-process ones");
      assertTrue(unbatched.batchStats().isEmpty());
      Reply stats = get("http://127.0.0.1:" + unbatched.port() + "/v1/models/mnist/stats");
      assertFalse(stats.body().at("/batching/enabled").asBoolean());
    }
  }

  @Test
  void warmUpRunsEveryBatchSizeThenTheHttpPathBeforeListening() throws Exception {
    // the shared server batches up to 32: 32 runs on zeros, then 30 requests through HTTP
    assertEquals(32 + 30, server.warmUpRuns());
    try (var unbatched = ModelServer.builder(model).name("mnist").port(0).batching(null).start();
        var cold = ModelServer.builder(model).name("mnist").port(0).warmUp(false).start()) {
      assertEquals(1 + 30, unbatched.warmUpRuns());
      assertEquals(0, cold.warmUpRuns());
      assertEquals(0, cold.batchStats().orElseThrow().requests());
    }
  }

  @Test
  void sixteenConcurrentClientsGetTheirOwnAnswersInBatches() throws Exception {
    int clients = 16;
    int requestsEach = 200;
    int images = clients * requestsEach;
    float[] pixels = TestModels.testImages(0, images);
    // In-process predictions one image at a time: what each client's answer must equal.
    long[] expectedClass = new long[images];
    float[][] expectedProbabilities = new float[images][];
    for (int i = 0; i < images; i++) {
      Prediction p = inProcess(java.util.Arrays.copyOfRange(pixels, i * 784, i * 784 + 784), 1);
      expectedClass[i] = p.output("classes").longs()[0];
      expectedProbabilities[i] = p.output("probabilities").floats();
    }
    BatchStats before = server.batchStats().orElseThrow();

    /** Per client: class mismatches, the largest probability difference, bit-identical rows. */
    record Agreement(int classMismatches, double maxDifference, int bitIdentical) {}
    List<Agreement> agreements = Concurrently.onThreads(clients, client -> {
      int classMismatches = 0;
      double maxDifference = 0;
      int bitIdentical = 0;
      for (int r = 0; r < requestsEach; r++) {
        int i = client * requestsEach + r;
        Reply reply = post(base + ":predict",
            "{\"instances\": [" + floats(pixels, i * 784, 784) + "]}");
        assertEquals(200, reply.status(), reply.text());
        JsonNode row = reply.body().at("/predictions/0");
        classMismatches += row.get("classes").asLong() == expectedClass[i] ? 0 : 1;
        float[] actual = floatArray(row.get("probabilities"));
        bitIdentical += java.util.Arrays.equals(expectedProbabilities[i], actual) ? 1 : 0;
        for (int k = 0; k < 10; k++) {
          maxDifference = Math.max(maxDifference, Math.abs(actual[k] - expectedProbabilities[i][k]));
        }
      }
      return new Agreement(classMismatches, maxDifference, bitIdentical);
    });
    int classMismatches = agreements.stream().mapToInt(Agreement::classMismatches).sum();
    double maxDifference = agreements.stream().mapToDouble(Agreement::maxDifference).max().orElse(0);
    int bitIdentical = agreements.stream().mapToInt(Agreement::bitIdentical).sum();
    System.out.printf(Locale.ROOT, "%d answers: %d bit-identical to batch-1 in-process, "
        + "largest probability difference %.3g%n", images, bitIdentical, maxDifference);
    // Batches of other sizes take other kernels, which round differently in the last bits.
    assertEquals(0, classMismatches, "classes that differ from the in-process prediction");
    assertTrue(maxDifference <= 1e-5, "probabilities differ by up to " + maxDifference);

    BatchStats after = server.batchStats().orElseThrow();
    assertEquals(images, after.requests() - before.requests());
    long larger = after.batchesLargerThanOne() - before.batchesLargerThanOne();
    System.out.printf(Locale.ROOT, "batches %d for %d requests, %d of them larger than 1, "
        + "largest %d, sizes %s%n", after.batches() - before.batches(), images, larger,
        after.largestBatch(), after.batchSizes());
    assertTrue(larger > 0, "no batch larger than 1: " + after.batchSizes());

    Reply stats = get(base + "/stats");
    assertEquals(200, stats.status(), stats.text());
    assertTrue(stats.body().at("/batching/enabled").asBoolean());
    assertTrue(stats.body().at("/batching/batches").asLong() >= after.batches());
  }
}
