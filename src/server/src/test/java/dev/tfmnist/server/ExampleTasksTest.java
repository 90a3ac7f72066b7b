package dev.tfmnist.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.grpc.GrpcClient;
import dev.tfmnist.server.api.ClassificationRequest;
import dev.tfmnist.server.api.ClassificationResponse;
import dev.tfmnist.server.api.ExampleList;
import dev.tfmnist.server.api.ExampleListWithContext;
import dev.tfmnist.server.api.InferenceTask;
import dev.tfmnist.server.api.Input;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.MultiInferenceRequest;
import dev.tfmnist.server.api.MultiInferenceResponse;
import dev.tfmnist.server.api.RegressionRequest;
import dev.tfmnist.server.api.RegressionResponse;
import dev.tfmnist.testing.TestModels;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;

/**
 * Classify, Regress and MultiInference over gRPC and {@code :classify} / {@code :regress} over
 * REST, on a model with tf.Example signatures as an Estimator exports them: the answers are what
 * the same model gives in process for the same images, and the refusals are TF Serving's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExampleTasksTest {
  private static final int N = 100;
  private static final String CLASSIFY = "tensorflow/serving/classify";
  private static final String REGRESS = "tensorflow/serving/regress";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();
  private LoadedModel model;
  private ModelServer server;
  private GrpcClient client;
  private String rest;
  private float[] images;
  /** The model's own scores for the images, through its float input: [N * 10]. */
  private float[] scores;
  private int[] digits;

  @BeforeAll
  void start() throws Exception {
    model = LoadedModel.load(TestModels.examplesModel());
    server = ModelServer.builder(model).name("est").port(0).grpcPort(0).warmUp(false).start();
    client = new GrpcClient(server.grpcAddress().orElseThrow());
    rest = "http://127.0.0.1:" + server.port() + "/v1/models/est";
    images = TestModels.testImages(0, N);
    scores = model.predictor("pixels")
        .predict(Map.of("images", TensorValue.ofFloats(Shape.of(N, 784), images)))
        .output("scores").floats();
    digits = new int[N];
    for (int i = 0; i < N; i++) {
      for (int c = 1; c < 10; c++) {
        if (scores[i * 10 + c] > scores[i * 10 + digits[i]]) {
          digits[i] = c;
        }
      }
    }
  }

  @AfterAll
  void stop() throws Exception {
    client.close();
    server.close();
    model.close();
  }

  private static ModelSpec spec(String signature) {
    return ModelSpec.newBuilder().setName("est").setSignatureName(signature).build();
  }

  private ByteString example(int i, Long offset) {
    var features = Features.newBuilder().putFeature("pixels", Feature.newBuilder()
        .setFloatList(FloatList.newBuilder().addAllValue(pixels(i))).build());
    if (offset != null) {
      features.putFeature("offset", Feature.newBuilder()
          .setInt64List(Int64List.newBuilder().addValue(offset)).build());
    }
    return Example.newBuilder().setFeatures(features).build().toByteString();
  }

  private List<Float> pixels(int i) {
    var values = new ArrayList<Float>(784);
    for (int p = 0; p < 784; p++) {
      values.add(images[i * 784 + p]);
    }
    return values;
  }

  private Input examples(int n) {
    var list = ExampleList.newBuilder();
    for (int i = 0; i < n; i++) {
      list.addExamples(example(i, null));
    }
    return Input.newBuilder().setExampleList(list).build();
  }

  private static Status.Code code(Executable call) {
    return assertThrows(StatusRuntimeException.class, call).getStatus().getCode();
  }

  private static String message(Executable call) {
    return assertThrows(StatusRuntimeException.class, call).getStatus().getDescription();
  }

  @Test
  void classifyGivesEveryClassWithItsLabelAndTheModelsScore() {
    ClassificationResponse response = client.predictions.classify(ClassificationRequest
        .newBuilder().setModelSpec(ModelSpec.newBuilder().setName("est")).setInput(examples(N))
        .build());
    assertEquals("serving_default", response.getModelSpec().getSignatureName());
    assertEquals(1, response.getModelSpec().getVersion().getValue());
    assertEquals(N, response.getResult().getClassificationsCount());
    for (int i = 0; i < N; i++) {
      var classes = response.getResult().getClassifications(i).getClassesList();
      assertEquals(10, classes.size());
      for (int c = 0; c < 10; c++) {
        assertEquals(Integer.toString(c), classes.get(c).getLabel());
        assertEquals(scores[i * 10 + c], classes.get(c).getScore(), 1e-6, "image " + i);
      }
    }
    // a signature with scores only: the labels stay empty, as TF Serving leaves them
    var scoresOnly = client.predictions.classify(ClassificationRequest.newBuilder()
        .setModelSpec(spec("scores")).setInput(examples(2)).build());
    var first = scoresOnly.getResult().getClassifications(0).getClasses(3);
    assertEquals("", first.getLabel());
    assertEquals(scores[3], first.getScore(), 1e-6);
  }

  @Test
  void regressGivesOneValuePerExampleAndTheContextReachesEveryExample() {
    RegressionResponse plain = client.predictions.regress(RegressionRequest.newBuilder()
        .setModelSpec(spec("regress")).setInput(examples(N)).build());
    assertEquals(N, plain.getResult().getRegressionsCount());
    for (int i = 0; i < N; i++) {
      assertEquals(digits[i], plain.getResult().getRegressions(i).getValue(), "image " + i);
    }
    // the context's offset reaches every example; an example's own offset wins over it
    var context = Example.newBuilder().setFeatures(Features.newBuilder().putFeature("offset",
        Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(100)).build()))
        .build().toByteString();
    var input = Input.newBuilder().setExampleListWithContext(ExampleListWithContext.newBuilder()
        .setContext(context).addExamples(example(0, null)).addExamples(example(1, 7L))).build();
    var withContext = client.predictions.regress(RegressionRequest.newBuilder()
        .setModelSpec(spec("regress")).setInput(input).build());
    assertEquals(digits[0] + 100, withContext.getResult().getRegressions(0).getValue());
    assertEquals(digits[1] + 7, withContext.getResult().getRegressions(1).getValue());
  }

  /** Requests the server's batcher has taken so far, from its {@code /stats}. */
  private long batchedRequests() throws Exception {
    var reply = http.send(HttpRequest.newBuilder(URI.create(rest + "/stats")).build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(reply.body()).get("batching").get("requests").longValue();
  }

  @Test
  void multiInferenceAnswersEachTaskInOrderFromOneRunOnTheSameExamples() throws Exception {
    long before = batchedRequests();
    MultiInferenceResponse response = client.predictions.multiInference(MultiInferenceRequest
        .newBuilder()
        .addTasks(InferenceTask.newBuilder().setModelSpec(spec("regress")).setMethodName(REGRESS))
        .addTasks(InferenceTask.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("est"))
            .setMethodName(CLASSIFY))
        .setInput(examples(10)).build());
    assertEquals(2, response.getResultsCount());
    assertEquals(before + 1, batchedRequests(), "both tasks in one run");
    var regression = response.getResults(0);
    assertEquals("regress", regression.getModelSpec().getSignatureName());
    assertEquals(1, regression.getModelSpec().getVersion().getValue());
    var classification = response.getResults(1);
    assertEquals("serving_default", classification.getModelSpec().getSignatureName());
    for (int i = 0; i < 10; i++) {
      assertEquals(digits[i], regression.getRegressionResult().getRegressions(i).getValue());
      var classes = classification.getClassificationResult().getClassifications(i);
      assertEquals(scores[i * 10 + 4], classes.getClasses(4).getScore(), 1e-6);
    }
  }

  @Test
  void signaturesThatDoNotFitAndBadInputsAreTfServingsErrors() {
    // no tf.Example input
    assertTrue(message(() -> client.predictions.classify(ClassificationRequest.newBuilder()
        .setModelSpec(spec("pixels")).setInput(examples(1)).build()))
        .contains("No classification inputs found in signature pixels"));
    // no classes or scores
    assertTrue(message(() -> client.predictions.classify(ClassificationRequest.newBuilder()
        .setModelSpec(spec("regress")).setInput(examples(1)).build()))
        .contains("at least one of \"classes\" or \"scores\""));
    // two outputs where regression reads one
    assertEquals("Expected one output Tensor.", message(() -> client.predictions.regress(
        RegressionRequest.newBuilder().setModelSpec(spec("")).setInput(examples(1)).build())));
    assertEquals("No signature was found with the name: nope", message(() ->
        client.predictions.regress(RegressionRequest.newBuilder().setModelSpec(spec("nope"))
            .setInput(examples(1)).build())));
    assertEquals("Input is empty.", message(() -> client.predictions.classify(
        ClassificationRequest.newBuilder().setModelSpec(spec("")).build())));
    // an example without the required feature: TensorFlow's own parse error
    var noPixels = Input.newBuilder().setExampleList(ExampleList.newBuilder()
        .addExamples(Example.getDefaultInstance().toByteString())).build();
    assertTrue(message(() -> client.predictions.classify(ClassificationRequest.newBuilder()
        .setModelSpec(spec("")).setInput(noPixels).build())).contains("pixels"));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.predictions.classify(
        ClassificationRequest.newBuilder().setModelSpec(spec("")).setInput(noPixels).build())));
    assertEquals(Status.Code.NOT_FOUND, code(() -> client.predictions.classify(
        ClassificationRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("x"))
            .setInput(examples(1)).build())));

    var classify = InferenceTask.newBuilder().setModelSpec(spec("")).setMethodName(CLASSIFY);
    var request = MultiInferenceRequest.newBuilder().setInput(examples(1));
    assertEquals("Duplicate evaluation of signature: serving_default", message(() ->
        client.predictions.multiInference(request.clone().addTasks(classify)
            .addTasks(classify).build())));
    assertEquals("All ModelSpecs in a MultiInferenceRequest must access the same model name.",
        message(() -> client.predictions.multiInference(request.clone().addTasks(classify)
            .addTasks(InferenceTask.newBuilder().setMethodName(REGRESS).setModelSpec(
                ModelSpec.newBuilder().setName("other").setSignatureName("regress"))).build())));
    assertEquals(Status.Code.UNIMPLEMENTED, code(() -> client.predictions.multiInference(
        request.clone().addTasks(InferenceTask.newBuilder().setModelSpec(spec("pixels"))
            .setMethodName("tensorflow/serving/predict")).build())));
    assertEquals("Requested signature not found in model graph: nope", message(() ->
        client.predictions.multiInference(request.clone().addTasks(InferenceTask.newBuilder()
            .setModelSpec(spec("nope")).setMethodName(CLASSIFY)).build())));
  }

  private HttpResponse<String> post(String verb, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(rest + verb))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String jsonExamples(int n) {
    var sb = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "{" : ",{").append("\"pixels\": [");
      for (int p = 0; p < 784; p++) {
        sb.append(p == 0 ? "" : ",").append(images[i * 784 + p]);  // 0.0, never 0: floats
      }
      sb.append("]}");
    }
    return sb.append(']').toString();
  }

  @Test
  void restClassifyAndRegressAnswerTfServingsJson() throws Exception {
    var classified = post(":classify", "{\"examples\": " + jsonExamples(5) + "}");
    assertEquals(200, classified.statusCode(), classified.body());
    JsonNode results = JSON.readTree(classified.body()).get("results");
    assertEquals(5, results.size());
    for (int i = 0; i < 5; i++) {
      for (int c = 0; c < 10; c++) {
        assertEquals(Integer.toString(c), results.get(i).get(c).get(0).textValue());
        assertEquals(scores[i * 10 + c], results.get(i).get(c).get(1).floatValue(), 1e-6);
      }
    }
    var regressed = post(":regress", "{\"signature_name\": \"regress\", \"context\": {\"offset\":"
        + " 100}, \"examples\": " + jsonExamples(3) + "}");
    assertEquals(200, regressed.statusCode(), regressed.body());
    JsonNode values = JSON.readTree(regressed.body()).get("results");
    float[] got = new float[values.size()];
    for (int i = 0; i < got.length; i++) {
      got[i] = values.get(i).floatValue();
    }
    assertArrayEquals(new float[] {digits[0] + 100, digits[1] + 100, digits[2] + 100}, got);
  }

  @Test
  void restRefusesWhatTfServingRefusesInOneLine() throws Exception {
    Map<String, String> refused = Map.of(
        "{\"signature_name\": \"regress\"}", "key 'examples' is expected and was not found",
        "{\"examples\": []}", "'examples' value is an empty array",
        "{\"examples\": {}}", "Expecting 'examples' value to be an list/array",
        "{\"examples\": [3]}", "Example must be JSON object but got JSON Number",
        "{\"examples\": [{\"pixels\": [0.5, \"x\"]}]}",
        "Unexpected element type in feature: pixels expecting type: float",
        "{\"examples\": [{\"pixels\": [null]}]}",
        "Feature: pixels has element with unexpected JSON type: Null",
        "{\"examples\": [{\"pixels\": [0, 1]}]}", "pixels",
        "{\"signature_name\": \"pixels\", \"examples\": [{\"pixels\": [0.5]}]}",
        "No classification inputs found");
    for (var e : refused.entrySet()) {
      var reply = post(":classify", e.getKey());
      assertEquals(400, reply.statusCode(), e.getKey() + " -> " + reply.body());
      String error = JSON.readTree(reply.body()).get("error").textValue();
      assertTrue(error.contains(e.getValue()), e.getKey() + " -> " + error);
      assertTrue(!error.contains("\n"), error);
    }
    // the server goes on answering
    assertEquals(200, post(":classify", "{\"examples\": " + jsonExamples(1) + "}").statusCode());
  }

  @Test
  void theMetricsCountClassifyAndRegressByTheirApiName() throws Exception {
    client.predictions.classify(ClassificationRequest.newBuilder().setModelSpec(spec(""))
        .setInput(examples(1)).build());
    post(":regress", "{\"signature_name\": \"regress\", \"examples\": " + jsonExamples(1) + "}");
    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + server.port() + "/monitoring/prometheus/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(metrics.lines().anyMatch(line -> line.contains("request_count")
        && line.contains("API=\"classify\"") && line.contains("entrypoint=\"GRPC\"")
        && line.contains("status=\"OK\"")), metrics);
    assertTrue(metrics.lines().anyMatch(line -> line.contains("request_count")
        && line.contains("API=\"regress\"") && line.contains("entrypoint=\"REST\"")
        && line.contains("signature_name=\"regress\"")), metrics);
  }
}
