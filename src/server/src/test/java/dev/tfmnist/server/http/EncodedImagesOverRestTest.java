package dev.tfmnist.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.testing.DigitRenderer;
import dev.tfmnist.testing.TestData;
import dev.tfmnist.testing.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Keras 3 model inside a tf.Module whose serving signature takes PNG bytes (the committed
 * keras-module fixture), served as TensorFlow Serving serves it: images as {"b64": ...} in row and
 * columnar requests, over loopback; the answers are the in-process classifier's.
 */
class EncodedImagesOverRestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void pngImagesAsB64InRowAndColumnarRequests(@TempDir Path dir) throws Exception {
    int n = 8;
    float[] images = TestModels.testImages(0, n);
    var b64 = new ArrayList<String>();
    for (int i = 0; i < n; i++) {
      Path png = dir.resolve(i + ".png");
      DigitRenderer.writePng(DigitRenderer.grayImage(DigitRenderer.render(
          java.util.Arrays.copyOfRange(images, i * 784, (i + 1) * 784), 1, 28, 28, 0, 0, false)),
          png);
      b64.add(Base64.getEncoder().encodeToString(Files.readAllBytes(png)));
    }
    try (var model = LoadedModel.load(TestData.projectRoot().resolve("savedmodel/keras-module"));
        var server = ModelServer.builder(model).name("digits").port(0).warmUp(false).start()) {
      var expected = ImageClassifier.builder(model).build().classify(images, n);
      var client = HttpClient.newHttpClient();
      String url = "http://127.0.0.1:" + server.port() + "/v1/models/digits:predict";

      var rows = new StringBuilder("{\"instances\": [");
      var columns = new StringBuilder("{\"inputs\": {\"image_bytes\": [");
      for (int i = 0; i < n; i++) {
        String image = "{\"b64\": \"" + b64.get(i) + "\"}";
        rows.append(i == 0 ? "" : ", ").append(image);
        columns.append(i == 0 ? "" : ", ").append(image);
      }
      JsonNode byRows = post(client, url, rows.append("]}").toString()).get("predictions");
      JsonNode byColumns = post(client, url, columns.append("]}}").toString()).get("outputs");
      for (int i = 0; i < n; i++) {
        int digit = expected.get(i).predictedClass();
        assertEquals(TestModels.testLabels(0, n)[i], digit, "image " + i);
        assertEquals(digit, byRows.get(i).get("classes").asInt(), "row " + i);
        assertEquals(digit, byColumns.get("classes").get(i).asInt(), "column " + i);
        assertEquals(expected.get(i).probability(digit),
            byRows.get(i).get("probabilities").get(digit).floatValue(), 1e-6f);
      }
    }
  }

  private static JsonNode post(HttpClient client, String url, String body) throws Exception {
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }
}
