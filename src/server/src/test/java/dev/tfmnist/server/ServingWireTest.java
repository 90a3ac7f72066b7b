package dev.tfmnist.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.batching.BatchingOptions;
import dev.tfmnist.server.grpc.GrpcClient;
import dev.tfmnist.server.api.GetModelStatusRequest;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.models.ModelConfigFile;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.testing.Concurrently;
import dev.tfmnist.testing.TestModels;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several models from a TF Serving config file, version labels, the metrics and the bounded
 * queue, over REST and gRPC as TF Serving's clients use them.
 */
class ServingWireTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String images(int from, int n) {
    float[] pixels = TestModels.testImages(from, n);
    var sb = new StringBuilder("{\"instances\": [");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "[" : ",[");
      for (int p = 0; p < 784; p++) {
        sb.append(p == 0 ? "" : ",").append(pixels[i * 784 + p]);
      }
      sb.append(']');
    }
    return sb.append("]}").toString();
  }

  /** Versions 1 and 2 of MNIST under mnist/, and the echo model under echo/1. */
  private static Path configFile(Path dir) throws Exception {
    for (String v : List.of("1", "2")) {
      dev.tfmnist.server.models.VersionDirsAccess.add(dir.resolve("mnist"), v);
    }
    Path file = dir.resolve("models.config");
    Files.writeString(file, """
        model_config_list {
          config {
            name: 'mnist'
            base_path: 'mnist'
            model_platform: 'tensorflow'
            model_version_policy { all {} }
            version_labels { key: 'stable' value: 1 }
            version_labels { key: 'canary' value: 2 }
          }
          config {
            name: 'echo'
            base_path: '%s'
          }
        }
        """.formatted(TestModels.identityModel().getParent()));
    return file;
  }

  private static ModelManager manager(Path file) throws Exception {
    return ModelManager.builder(LoadedModel::load).pollInterval(Duration.ZERO)
        .start(new ModelConfigFile(file).read());
  }

  @Test
  void aConfigFileWithTwoModelsServesBothWithTheirVersionsAndLabels(@TempDir Path dir)
      throws Exception {
    try (var models = manager(configFile(dir));
        var server = ModelServer.builder(models).port(0).grpcPort(0).warmUp(false).start();
        var grpc = new GrpcClient(server.grpcAddress().orElseThrow())) {
      String root = "http://127.0.0.1:" + server.port() + "/v1/models/";
      var mnist = post(root + "mnist:predict", images(0, 2));
      assertEquals(200, mnist.statusCode(), mnist.body());
      assertEquals(7, JSON.readTree(mnist.body()).at("/predictions/0/classes").asInt());
      var echo = post(root + "echo:predict", "{\"signature_name\": \"scalar\", \"inputs\":"
          + " {\"x\": 2.5}}");
      assertEquals(200, echo.statusCode(), echo.body());
      assertEquals(5.0, JSON.readTree(echo.body()).get("outputs").asDouble(), "the scalar signature doubles");

      JsonNode all = JSON.readTree(get(root + "mnist").body()).get("model_version_status");
      assertEquals(2, all.size(), all.toString());
      assertEquals("2", all.get(0).get("version").asText());
      assertEquals("1", all.get(1).get("version").asText());
      JsonNode stable = JSON.readTree(get(root + "mnist/labels/stable").body());
      assertEquals("1", stable.at("/model_version_status/0/version").asText());
      var canary = post(root + "mnist/labels/canary:predict", images(0, 1));
      assertEquals(200, canary.statusCode(), canary.body());
      var metadata = JSON.readTree(get(root + "mnist/labels/stable/metadata").body());
      assertEquals("1", metadata.at("/model_spec/version").asText());
      var beta = post(root + "mnist/labels/beta:predict", images(0, 1));
      assertEquals(400, beta.statusCode(), beta.body());
      assertEquals("Unrecognized servable version label: beta",
          JSON.readTree(beta.body()).get("error").asText());

      var spec = ModelSpec.newBuilder().setName("mnist").setVersionLabel("stable").build();
      var answer = grpc.predictions.predict(GrpcClient.request(spec,
          Map.of("xs", GrpcClient.floats(TestModels.testImages(0, 1), 1, 784))));
      assertEquals(1, answer.getModelSpec().getVersion().getValue());
      assertEquals(7, GrpcClient.output(answer, "classes").getInt64Val(0));
      var echoStatus = grpc.models.getModelStatus(GetModelStatusRequest.newBuilder()
          .setModelSpec(ModelSpec.newBuilder().setName("echo")).build());
      assertEquals(1, echoStatus.getModelVersionStatus(0).getVersion());
    }
  }

  private static double sample(String metrics, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE)
        .matcher(metrics);
    assertTrue(m.find(), series + " missing from:\n" + metrics);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void theMetricsCountRequestsByModelSignatureApiAndStatus(@TempDir Path dir) throws Exception {
    try (var models = manager(configFile(dir));
        var server = ModelServer.builder(models).port(0).grpcPort(0).warmUp(false).start();
        var grpc = new GrpcClient(server.grpcAddress().orElseThrow())) {
      String root = "http://127.0.0.1:" + server.port() + "/v1/models/";
      for (int i = 0; i < 3; i++) {
        assertEquals(200, post(root + "mnist:predict", images(i, 1)).statusCode());
      }
      assertEquals(400, post(root + "mnist:predict", "{\"instances\": [[1, 2]]}").statusCode());
      assertEquals(404, get(root + "fashion").statusCode());
      var spec = ModelSpec.newBuilder().setName("mnist").build();
      for (int i = 0; i < 2; i++) {
        grpc.predictions.predict(GrpcClient.request(spec,
            Map.of("xs", GrpcClient.floats(TestModels.testImages(i, 4), 4, 784))));
      }
      var metrics = get("http://127.0.0.1:" + server.port() + "/monitoring/prometheus/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("")
          .startsWith("text/plain; version=0.0.4"), metrics.headers().toString());
      String text = metrics.body();
      String labels = "{API=\"predict\",entrypoint=\"%s\",model_name=\"mnist\","
          + "signature_name=\"serving_default\",status=\"%s\"}";
      assertEquals(3, sample(text, ":tensorflow:serving:request_count_total"
          + labels.formatted("REST", "OK")));
      assertEquals(1, sample(text, ":tensorflow:serving:request_count_total"
          + labels.formatted("REST", "INVALID_ARGUMENT")));
      assertEquals(2, sample(text, ":tensorflow:serving:request_count_total"
          + labels.formatted("GRPC", "OK")));
      // a model the server does not have is no label value: clients cannot add series at will
      assertEquals(1, sample(text, ":tensorflow:serving:request_count_total{API=\"status\","
          + "entrypoint=\"REST\",model_name=\"\",signature_name=\"\",status=\"NOT_FOUND\"}"));
      assertTrue(!text.contains("fashion"), text);
      assertEquals(3, sample(text, ":tensorflow:serving:request_latency_seconds_count{API="
          + "\"predict\",entrypoint=\"REST\",model_name=\"mnist\",signature_name="
          + "\"serving_default\"}") - 1, "3 answered and 1 refused, all timed");
      assertEquals(2, sample(text, ":tensorflow:serving:model_versions_loaded{model_name=\"mnist\"}"));
      assertEquals(1, sample(text, ":tensorflow:serving:model_versions_loaded{model_name=\"echo\"}"));
      assertEquals(5, sample(text, ":tensorflow:serving:batch_size_count"), "3 + 2 runs");
      assertEquals(2, sample(text, ":tensorflow:serving:batch_size_bucket{le=\"4.0\"}")
          - sample(text, ":tensorflow:serving:batch_size_bucket{le=\"2.0\"}"), "two of 4 rows");
    }
  }

  @Test
  void aFullBatchingQueueAnswers503AndUnavailableWithTfServingsMessage() throws Exception {
    // One row per batch and one batch waiting: concurrent requests of 200 rows overflow it.
    var batching = BatchingOptions.builder().maxBatchSize(1).maxEnqueuedBatches(1).build();
    try (var model = LoadedModel.load(TestModels.tf1Model());
        var server = ModelServer.builder(model).name("mnist").port(0).grpcPort(0)
            .batching(batching).warmUp(false).start();
        var grpc = new GrpcClient(server.grpcAddress().orElseThrow())) {
      String body = images(0, 200);
      var request = GrpcClient.request(ModelSpec.newBuilder().setName("mnist").build(),
          Map.of("xs", GrpcClient.floats(TestModels.testImages(0, 200), 200, 784)));
      int clients = 24;
      var start = new CyclicBarrier(clients);
      List<String> outcomes = Concurrently.onThreads(clients, i -> {
        start.await();
        if (i % 2 == 0) {
          var r = post(server.modelUri() + ":predict", body);
          return r.statusCode() == 200 ? "OK" : r.statusCode() + " "
              + JSON.readTree(r.body()).get("error").asText();
        }
        try {
          var answer = grpc.predictions.predict(request);
          return GrpcClient.output(answer, "classes").getInt64ValCount() == 200 ? "OK" : "short";
        } catch (StatusRuntimeException e) {
          return e.getStatus().getCode() + " " + e.getStatus().getDescription();
        }
      });
      String full = "The batch scheduling queue to which this task was submitted is full;"
          + " currently 200 batches enqueued and max_enqueued_batches is 1";
      for (String outcome : outcomes) {
        assertTrue(outcome.equals("OK") || outcome.equals("503 " + full)
            || outcome.equals(Status.Code.UNAVAILABLE + " " + full), outcome);
      }
      assertTrue(outcomes.contains("OK"), outcomes.toString());
      assertTrue(outcomes.stream().anyMatch(o -> !o.equals("OK")), "none refused: " + outcomes);
    }
  }
}
