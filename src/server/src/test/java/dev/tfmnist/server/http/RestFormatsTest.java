package dev.tfmnist.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * TF Serving's JSON for every dtype, both request formats with several inputs, and the errors a
 * client can provoke, on a model that hands its inputs back; batching is off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestFormatsTest {
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final String ROW = "{\"f32\": [0.5, -1.25], \"f64\": 0.1, \"i32\": -7, "
      + "\"i64\": 9007199254740993, \"u8\": 255, \"flag\": true, \"text\": {\"b64\": \"AAEC/w==\"}}";

  private LoadedModel model;
  private ModelServer server;
  private HttpClient client;
  private String predict;

  @BeforeAll
  void start() throws IOException {
    model = LoadedModel.load(TestModels.identityModel());
    server = ModelServer.builder(model).name("echo").port(0).batching(null).start();
    client = HttpClient.newHttpClient();
    predict = "http://127.0.0.1:" + server.port() + "/v1/models/echo:predict";
  }

  @AfterAll
  void stop() {
    server.close();
    model.close();
  }

  private JsonNode post(int expectedStatus, String body) throws IOException, InterruptedException {
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(predict))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(expectedStatus, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private void assertError(String body, String fragment) throws IOException, InterruptedException {
    JsonNode reply = post(400, body);
    String error = reply.get("error").asText();
    assertTrue(error.contains(fragment), "expected \"" + fragment + "\" in: " + error);
    assertFalse(error.contains("\n"));
  }

  @Test
  void rowFormatWithNamedInputsAnswersObjectsPerInstance() throws Exception {
    JsonNode reply = post(200, "{\"instances\": [" + ROW + ", " + ROW.replace("true", "false")
        .replace("AAEC/w==", "aGk=") + "]}");
    JsonNode first = reply.get("predictions").get(0);
    assertEquals(JSON.readTree("[0.5, -1.25]"), first.get("f32_out"));
    assertEquals(0.1, first.get("f64_out").doubleValue());
    assertEquals(-7, first.get("i32_out").intValue());
    assertEquals(9007199254740993L, first.get("i64_out").longValue(), "int64 beyond a double");
    assertEquals(255, first.get("u8_out").intValue());
    assertTrue(first.get("flag_out").booleanValue());
    assertEquals(JSON.readTree("{\"b64\": \"AAEC/w==\"}"), first.get("text_bytes"),
        "outputs whose key ends in _bytes are base64");
    assertEquals("hi", reply.get("predictions").get(1).get("text_out").asText());
    assertFalse(reply.get("predictions").get(1).get("flag_out").booleanValue());
  }

  @Test
  void columnarFormatAnswersOneTensorPerOutput() throws Exception {
    JsonNode reply = post(200, "{\"inputs\": {\"f32\": [[1, 2], [3, NaN]], \"f64\": [1e300, "
        + "-Infinity], \"i32\": [1, 2], \"i64\": [3, 4], \"u8\": [0, 1], \"flag\": [true, false], "
        + "\"text\": [\"caf\u00e9\", \"x\"]}}");
    JsonNode outputs = reply.get("outputs");
    assertEquals(2, outputs.get("f32_out").size());
    assertTrue(Double.isNaN(outputs.get("f32_out").get(1).get(1).doubleValue()),
        "NaN written bare, as TF Serving does");
    assertEquals(Double.NEGATIVE_INFINITY, outputs.get("f64_out").get(1).doubleValue());
    assertEquals("caf\u00e9", outputs.get("text_out").get(0).asText());
  }

  @Test
  void columnarKeysTheSignatureDoesNotTakeAreIgnoredAsTfServingDoes() throws Exception {
    JsonNode reply = post(200, "{\"signature_name\": \"scalar\", \"inputs\": {\"x\": 21, "
        + "\"debug_id\": \"abc\", \"extra\": [1, 2]}}");
    assertEquals(42.0, reply.get("outputs").doubleValue());
    assertError("{\"signature_name\": \"scalar\", \"inputs\": {\"extra\": 1}}", "\"x\"");
  }

  @Test
  void nonFiniteNumbersInEveryTfServingSpelling() throws Exception {
    JsonNode reply = post(200, "{\"inputs\": {\"f32\": [[Inf, -Inf], [Infinity, NaN]], "
        + "\"f64\": [-Infinity, 1], \"i32\": [1, 2], \"i64\": [3, 4], \"u8\": [0, 1], "
        + "\"flag\": [true, false], \"text\": [\"Inf stays text\", \"x\"]}}");
    JsonNode f32 = reply.get("outputs").get("f32_out");
    assertEquals(Double.POSITIVE_INFINITY, f32.get(0).get(0).doubleValue());
    assertEquals(Double.NEGATIVE_INFINITY, f32.get(0).get(1).doubleValue());
    assertEquals(Double.POSITIVE_INFINITY, f32.get(1).get(0).doubleValue());
    assertTrue(Double.isNaN(f32.get(1).get(1).doubleValue()));
    assertEquals("Inf stays text", reply.get("outputs").get("text_out").get(0).asText());
  }

  @Test
  void scalarSignatureAnswersInColumnsButNotInRows() throws Exception {
    JsonNode reply = post(200, "{\"signature_name\": \"scalar\", \"inputs\": 21}");
    assertEquals(42.0, reply.get("outputs").doubleValue());
    assertError("{\"signature_name\": \"scalar\", \"instances\": [21]}", "rank");
  }

  @Test
  void wrongTypesRangesShapesAndKeysAreNamed() throws Exception {
    assertError("{\"instances\": [" + ROW.replace("-7", "1.5") + "]}",
        "input \"i32\" is int32 and expects integers, got the number 1.5 at [0]");
    assertError("{\"instances\": [" + ROW.replace("255", "256") + "]}",
        "input \"u8\" expects uint8 values in 0..255, got 256 at [0]");
    assertError("{\"instances\": [" + ROW.replace("true", "\"yes\"") + "]}",
        "input \"flag\" is bool and expects true or false, got the string \"yes\" at [0]");
    assertError("{\"instances\": [" + ROW.replace("AAEC/w==", "***") + "]}", "invalid base64");
    assertError("{\"instances\": [" + ROW.replace("[0.5, -1.25]", "[0.5]") + "]}",
        "input \"f32\" has 1 values in dimension 1");
    assertError("{\"inputs\": {\"f32\": [[1, 2], [3]]}}",
        "input \"f32\" is not a rectangular tensor: [1] holds 1 values where the others hold 2");
    assertError("{\"instances\": [" + ROW.replace("\"u8\": 255, ", "") + "]}",
        "instance 0 lacks input \"u8\"");
    assertError("{\"instances\": [" + ROW.replace("\"u8\"", "\"u16\"") + "]}",
        "instance 0 has unknown input \"u16\"");
    assertError("{\"instances\": [[1, 2]]}", "signature serving_default takes 7 inputs");
    assertError("{\"instances\": [1], \"inputs\": [1]}", "both");
    assertError("{\"instances\": [1, 2], \"instances\": [3]}", "Duplicate field");
    assertError("{\"signature_name\": 3, \"instances\": [1]}", "\"signature_name\" must be a string");
  }
}
