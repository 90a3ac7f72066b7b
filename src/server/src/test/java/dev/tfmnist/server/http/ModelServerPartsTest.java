package dev.tfmnist.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.grpc.GrpcClient;
import dev.tfmnist.testing.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The parts of a server its builder leaves out or moves, as TF Serving's flags ask: the metrics
 * at another path or nowhere, REST left out, gRPC's threads limited.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelServerPartsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LoadedModel model;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  void load() throws Exception {
    model = LoadedModel.load(TestModels.tf1Model());
  }

  @AfterAll
  void close() {
    model.close();
  }

  private ModelServer.Builder server() {
    return ModelServer.builder(model).name("mnist").port(0).batching(null).warmUp(false);
  }

  private HttpResponse<String> get(ModelServer server, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(server.modelUri().resolve(path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metricsAtTheConfiguredPathOnly() throws Exception {
    try (var server = server().metricsPath("/internal/metrics").start()) {
      var metrics = get(server, "/internal/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains(":tensorflow:serving:model_versions_loaded"),
          metrics.body());
      assertEquals(400, get(server, "/monitoring/prometheus/metrics").statusCode());
      assertEquals("/internal/metrics",
          JSON.readTree(get(server, "/ui/v1/models").body()).get("metrics_path").asText());
    }
  }

  @Test
  void noMetricsAtAll() throws Exception {
    try (var server = server().metricsPath(null).start()) {
      var metrics = get(server, "/monitoring/prometheus/metrics");
      assertEquals(400, metrics.statusCode());
      assertEquals("Malformed request: GET /monitoring/prometheus/metrics",
          JSON.readTree(metrics.body()).get("error").asText());
      assertTrue(JSON.readTree(get(server, "/ui/v1/models").body()).get("metrics_path").isNull());
    }
  }

  @Test
  void grpcOnWithoutRestAndWithLimitedThreads() throws Exception {
    try (var server = server().port(-1).grpcPort(0).grpcThreads(2).start();
        var grpc = new GrpcClient(server.grpcAddress().orElseThrow())) {
      assertEquals(-1, server.port());
      assertEquals(Optional.empty(), server.restAddress());
      assertThrows(IllegalStateException.class, server::modelUri);
      var reply = grpc.predictions.predict(GrpcClient.request(
          ModelSpec.newBuilder().setName("mnist").build(),
          Map.of("xs", GrpcClient.floats(TestModels.testImages(0, 1), 1, 784))));
      assertEquals(TestModels.testLabels(0, 1)[0],
          GrpcClient.output(reply, "classes").getInt64Val(0));
    }
  }

  @Test
  void badPartsAreRefusedInOneLine() {
    assertEquals("neither a REST nor a gRPC port: nothing to serve on",
        assertThrows(IllegalArgumentException.class, () -> server().port(-1).start())
            .getMessage());
    assertEquals("the metrics path must start with / and not with /v1/, without ?, # or spaces,"
        + " got \"metrics\"", assertThrows(IllegalArgumentException.class,
            () -> server().metricsPath("metrics")).getMessage());
    assertEquals("gRPC threads must be at least 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> server().grpcThreads(-1))
            .getMessage());
    assertEquals("--port must be -1 (none) or in 0..65535, got 65536",
        assertThrows(IllegalArgumentException.class,
            () -> ModelServer.Builder.checkPort("--port", 65536)).getMessage());
  }
}
