package dev.tfmnist.server.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.image.ImageFiles;
import dev.tfmnist.loader.image.MnistPreprocessor;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.models.ModelConfig;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.VersionRequest;
import dev.tfmnist.testing.DigitRenderer;
import dev.tfmnist.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The page's files and endpoints over loopback, without a browser: what the page is given, the
 * image preprocessing it shows (the loader's own, bit for bit), bad pictures answered with one
 * line and 400 (or 413 over the size limit) and nothing in the log, the requests in the metrics,
 * and no page at all with {@code ui(false)}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServingPageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long LIMIT = 1 << 20;

  private final HttpClient client = HttpClient.newHttpClient();
  private ModelManager models;
  private ModelServer server;
  private String base;

  @BeforeAll
  void start() throws IOException {
    models = ModelManager.builder(LoadedModel::load)
        .pollInterval(Duration.ZERO)
        .warmUpRows(0)
        .start(List.of(ModelConfig.of("mnist", TestModels.tf1Model()),
            ModelConfig.of("echo", TestModels.identityModel().getParent())));
    server = ModelServer.builder(models).port(0).warmUp(false).maxRequestBytes(LIMIT).start();
    base = "http://127.0.0.1:" + server.port() + "/";
  }

  @AfterAll
  void stop() {
    server.close();
    models.close();
  }

  @Test
  void thePageAndItsFilesComeFromTheJarWithAPolicyOfItsOwnOrigin() throws Exception {
    for (var file : Map.of("", "text/html", "ui/app.js", "text/javascript",
        "ui/style.css", "text/css", "ui/favicon.svg", "image/svg+xml").entrySet()) {
      HttpResponse<String> response = get(file.getKey());
      assertEquals(200, response.statusCode(), file.getKey());
      assertTrue(response.headers().firstValue("Content-Type").orElse("")
          .startsWith(file.getValue()), file.getKey());
      String csp = response.headers().firstValue("Content-Security-Policy").orElse("");
      assertTrue(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), csp);
    }
    String page = get("").body();
    for (String id : List.of("id=\"digit\"", "id=\"clear\"", "id=\"file\"", "for=\"file\"",
        "id=\"prediction\"", "id=\"model-input\"", "id=\"model\"", "for=\"model\"")) {
      assertTrue(page.contains(id), id + " missing from the page");
    }
    // every URL the page and its script name is relative: no other origin, no CDN
    String script = get("ui/app.js").body();
    for (String text : List.of(page, script, get("ui/style.css").body())) {
      assertFalse(text.matches("(?s).*(src|href)=\"(https?:)?//.*"), "an absolute URL");
      assertFalse(text.matches("(?s).*fetch\\('(https?:)?//.*"), "an absolute fetch");
      assertFalse(text.contains("@import"), "an imported style sheet");
    }
    HttpResponse<String> outside = get("ui/..%2Fpom.xml");
    assertEquals(404, outside.statusCode(), outside.body());
    assertEquals(404, get("ui/index.html").statusCode());
    assertEquals(405, send("POST", "ui/app.js", "").statusCode());
    assertEquals(405, get("ui/v1/predict").statusCode());
  }

  @Test
  void theModelsListMarksImageClassifiersAndSaysWhyTheOthersAreNot() throws Exception {
    JsonNode list = JSON.readTree(get("ui/v1/models").body()).get("models");
    assertEquals(List.of("echo", "mnist"), List.of(list.get(0).get("name").asText(),
        list.get(1).get("name").asText()));
    JsonNode mnist = list.get(1).at("/versions/0");
    assertEquals("1", mnist.get("version").asText());
    JsonNode signature = mnist.at("/signatures/0");
    assertEquals("serving_default", signature.get("name").asText());
    assertTrue(signature.get("image_classifier").asBoolean());
    assertEquals("xs float32 [-1, 784]", signature.get("input").asText());
    assertEquals("pixels", signature.get("input_form").asText());
    assertEquals("scores", signature.get("answers").asText());
    for (JsonNode echo : list.get(0).at("/versions/0/signatures")) {
      assertFalse(echo.get("image_classifier").asBoolean(), echo.toString());
      assertTrue(echo.get("why_not").asText().startsWith("not an image classifier: "),
          echo.toString());
    }
  }

  @Test
  void aPictureIsPreprocessedByTheLoaderAndClassifiedAsPredictMnistDoes(@TempDir Path dir)
      throws Exception {
    float[] seven = TestModels.testImages(0, 1);
    Path png = dir.resolve("seven.png");
    // black on white, four times MNIST's size, off centre: what a user would upload
    DigitRenderer.writePng(DigitRenderer.grayImage(DigitRenderer.render(seven, 4, 200, 160, 60,
        20, true)), png);
    float[] pixels = MnistPreprocessor.toMnist(ImageFiles.read(png));
    float[] expected;
    try (var servable = models.acquire(VersionRequest.latest("mnist"))) {
      expected = ImageClassifier.builder(servable.model()).build().classify(pixels)
          .probabilities();
    }
    HttpResponse<String> response = predict(request("mnist", Files.readAllBytes(png)));
    assertEquals(200, response.statusCode(), response.body());
    JsonNode answer = JSON.readTree(response.body());
    assertEquals(7, answer.get("predicted_class").asInt());
    assertEquals("mnist", answer.get("model").asText());
    assertEquals("1", answer.get("version").asText());
    assertEquals("serving_default", answer.get("signature_name").asText());
    assertEquals("pixels", answer.get("model_input_format").asText());
    assertArrayEquals(pixels, floats(answer.get("model_input")), "the 784 values fed");
    assertArrayEquals(expected, floats(answer.get("probabilities")));
    assertTrue(answer.get("server_ms").asDouble() > 0);

    // a version by number, as a string or a number, and the signature by name
    ObjectNode pinned = request("mnist", Files.readAllBytes(png)).put("version", 1)
        .put("signature_name", "serving_default");
    assertEquals(200, predict(pinned).statusCode());
    assertEquals(200, predict(pinned.put("version", "1")).statusCode());
  }

  @Test
  void badPicturesGetOneLineAndA400AndTheServerGoesOn() throws Exception {
    var appender = new ListAppender<ILoggingEvent>();
    appender.start();
    var root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    try {
      var blank = new ByteArrayOutputStream();
      ImageIO.write(new java.awt.image.BufferedImage(280, 280,
          java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png", blank);
      byte[] good = pngOf(TestModels.testImages(0, 1));
      Map<String, ObjectNode> bad = new java.util.LinkedHashMap<>();
      bad.put("no digit found: the image has no contrast", request("mnist", blank.toByteArray()));
      bad.put("the image is empty (0 bytes)", request("mnist", new byte[0]));
      bad.put("the image is not a PNG, JPEG, GIF, BMP or PGM file",
          request("mnist", "plain text, no picture".getBytes()));
      bad.put("the image is 8000x5000 pixels (40.0 megapixels), over the limit of 16.8"
          + " megapixels", request("mnist", hugePngHeader(8000, 5000)));
      bad.put("the image is 70000x70000 pixels (4900.0 megapixels), over the limit of 16.8"
          + " megapixels", request("mnist", "P5 70000 70000 255\n".getBytes()));
      bad.put("the file: unreadable image", request("mnist", Arrays.copyOf(good, 80)));
      ObjectNode notBase64 = JSON.createObjectNode().put("model", "mnist");
      notBase64.putObject("image").put("b64", "not base64!");
      bad.put("\"image\" is not valid base64", notBase64);
      bad.put("the request has no image", JSON.createObjectNode().put("model", "mnist"));
      bad.put("the request names no \"model\"", request("", good));
      bad.put("not an image classifier: signature scalar has no input that fits",
          request("echo", good).put("signature_name", "scalar"));
      bad.put("not an image classifier: signature serving_default has 2 outputs that fit",
          request("echo", good));
      bad.put("\"version\" must be a version number", request("mnist", good).put("version", "x"));
      for (var entry : bad.entrySet()) {
        HttpResponse<String> response = predict(entry.getValue());
        assertEquals(400, response.statusCode(), response.body());
        String error = JSON.readTree(response.body()).get("error").asText();
        assertTrue(error.startsWith(entry.getKey()), error);
        assertFalse(error.contains("\n") || error.contains("\tat "), error);
      }
      assertEquals(404, predict(request("nope", good)).statusCode());
      assertEquals(404, predict(request("mnist", good).put("version", 9)).statusCode());
      assertEquals(400, predict(request("mnist", good).put("signature_name", "nope"))
          .statusCode());

      // over the server's request size limit: 413, as for any other REST request
      byte[] large = new byte[(int) LIMIT];
      new java.util.Random(1).nextBytes(large);
      HttpResponse<String> tooLarge = predict(request("mnist", large));
      assertEquals(413, tooLarge.statusCode(), tooLarge.body());
      assertTrue(JSON.readTree(tooLarge.body()).get("error").asText()
          .contains("larger than the limit of " + LIMIT + " bytes"), tooLarge.body());

      HttpResponse<String> after = predict(request("mnist", good));
      assertEquals(200, after.statusCode(), after.body());
      assertEquals(7, JSON.readTree(after.body()).get("predicted_class").asInt());
    } finally {
      root.detachAppender(appender);
    }
    for (ILoggingEvent event : appender.list) {
      assertTrue(event.getThrowableProxy() == null && event.getLevel().isGreaterOrEqual(
          Level.ERROR) == false, "the log: " + event.getFormattedMessage());
    }
    String metrics = get("monitoring/prometheus/metrics").body();
    assertTrue(metrics.contains("API=\"predict\",entrypoint=\"UI\",model_name=\"mnist\","
        + "signature_name=\"serving_default\",status=\"OK\""), metrics);
    assertTrue(metrics.contains("entrypoint=\"UI\",model_name=\"mnist\",signature_name="
        + "\"serving_default\",status=\"INVALID_ARGUMENT\""), metrics);
  }

  @Test
  void withoutTheUiThePageIsTfServingsMalformedRequest() throws Exception {
    try (var model = LoadedModel.load(TestModels.tf1Model());
        var plain = ModelServer.builder(model).name("mnist").port(0).warmUp(false).ui(false)
            .start()) {
      String url = "http://127.0.0.1:" + plain.port() + "/";
      for (String path : List.of("", "ui/app.js", "ui/v1/models")) {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url + path))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, response.statusCode());
        assertEquals("{\"error\":\"Malformed request: GET /" + path + "\"}", response.body());
      }
      HttpResponse<String> predict = client.send(HttpRequest.newBuilder(
          URI.create(url + "ui/v1/predict")).POST(HttpRequest.BodyPublishers.ofString(
          request("mnist", pngOf(TestModels.testImages(0, 1))).toString())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(400, predict.statusCode());
      assertEquals("{\"error\":\"Malformed request: POST /ui/v1/predict\"}", predict.body());
    }
  }

  private static ObjectNode request(String model, byte[] image) {
    ObjectNode request = JSON.createObjectNode().put("model", model);
    request.putObject("image").put("b64", Base64.getEncoder().encodeToString(image));
    return request;
  }

  private HttpResponse<String> predict(ObjectNode request) throws Exception {
    return send("POST", "ui/v1/predict", request.toString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(base + path))
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static float[] floats(JsonNode array) {
    float[] values = new float[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).floatValue();
    }
    return values;
  }

  /** An MNIST image as a 28x28 gray PNG. */
  static byte[] pngOf(float[] mnist) throws IOException {
    var out = new ByteArrayOutputStream();
    ImageIO.write(DigitRenderer.grayImage(DigitRenderer.render(mnist, 1, 28, 28, 0, 0, false)),
        "png", out);
    return out.toByteArray();
  }

  /** A small PNG whose header claims {@code width x height}: its pixels are never there. */
  static byte[] hugePngHeader(int width, int height) throws IOException {
    var out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put(new byte[] {8, 0, 0, 0, 0}).array());
    var deflater = new Deflater();
    deflater.setInput(new byte[1000]);
    deflater.finish();
    byte[] compressed = new byte[2000];
    int n = deflater.deflate(compressed);
    deflater.end();
    chunk(out, "IDAT", Arrays.copyOf(compressed, n));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data)
      throws IOException {
    out.write(ByteBuffer.allocate(4).putInt(data.length).array());
    byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    out.write(typeBytes);
    out.write(data);
    var crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
