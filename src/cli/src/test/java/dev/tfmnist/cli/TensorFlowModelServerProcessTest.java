package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.PredictRequest;
import dev.tfmnist.server.grpc.api.PredictionServiceGrpc;
import dev.tfmnist.testing.TestModels;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * tensorflow_model_server as a TF Serving user runs it: its own JVM, TF Serving's flags, the
 * batching and monitoring config files; REST and gRPC predictions over loopback, the metrics at
 * the configured path, none without the file, and SIGTERM.
 */
class TensorFlowModelServerProcessTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();

  @Test
  void servesRestGrpcAndMetricsAsTheFlagsAndFilesSay(@TempDir Path dir) throws Exception {
    Path batching = dir.resolve("batching.config");
    Files.writeString(batching, """
        max_batch_size { value: 16 }
        batch_timeout_micros { value: 1000 }
        max_enqueued_batches { value: 100 }
        num_batch_threads { value: 4 }
        """);
    Path monitoring = dir.resolve("monitoring.config");
    Files.writeString(monitoring, """
        prometheus_config {
          enable: true,
          path: "/internal/prometheus"
        }
        """);
    int[] ports = freePorts(2);
    // TF Serving's rest_api_port=0 means no REST: the test picks free ports itself
    var server = new Server(dir, "--port=" + ports[0], "--rest_api_port", "" + ports[1],
        "--model_name=mnist", "--model_base_path", TestModels.tf1Model().toString(),
        "--enable_batching", "--batching_parameters_file=" + batching,
        "--monitoring_config_file", monitoring.toString(), "--num_load_threads=2");
    try {
      String out = server.awaitServing();
      assertTrue(out.contains("gRPC: 0.0.0.0:" + ports[0]), "every address:\n" + out);
      assertTrue(out.contains("Serving mnist version 1 at http://localhost:" + ports[1]
          + "/v1/models/mnist\nMetrics at http://localhost:" + ports[1] + "/internal/prometheus"),
          out);
      String rest = "http://127.0.0.1:" + ports[1];

      JsonNode predicted = JSON.readTree(post(rest + "/v1/models/mnist:predict",
          "{\"instances\": [" + row(0) + ", " + row(1) + "]}").body());
      int[] labels = TestModels.testLabels(0, 2);
      assertEquals(labels[0], predicted.at("/predictions/0/classes").asInt(), predicted.toString());
      assertEquals(labels[1], predicted.at("/predictions/1/classes").asInt());
      JsonNode stats = JSON.readTree(get(rest + "/v1/models/mnist/stats").body());
      assertEquals(16, stats.at("/batching/max_batch_size").asInt(), stats.toString());
      assertEquals(1000, stats.at("/batching/batch_timeout_micros").asInt(), stats.toString());

      var channel = NettyChannelBuilder.forAddress("127.0.0.1", ports[0]).usePlaintext().build();
      try {
        var reply = PredictionServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(1, TimeUnit.MINUTES)
            .predict(PredictRequest.newBuilder()
                .setModelSpec(ModelSpec.newBuilder().setName("mnist"))
                .putInputs("xs", floats(TestModels.testImages(2, 1)).toByteString())
                .build());
        assertEquals(TestModels.testLabels(2, 1)[0],
            TensorProto.parseFrom(reply.getOutputsOrThrow("classes")).getInt64Val(0));
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }

      HttpResponse<String> metrics = get(rest + "/internal/prometheus");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("API=\"predict\",entrypoint=\"GRPC\",model_name=\"mnist\""),
          metrics.body());
      assertTrue(metrics.body().contains("API=\"predict\",entrypoint=\"REST\",model_name=\"mnist\""),
          metrics.body());
      assertEquals(400, get(rest + "/monitoring/prometheus/metrics").statusCode(),
          "only at the configured path");

      assertEquals(0, server.stop(), server.out());
      assertEquals(List.of("tensorflow_model_server: warning: --num_load_threads=2 is ignored:"
          + " versions load one after another"), server.err().lines().toList());
    } finally {
      server.process.destroyForcibly();
    }
  }

  @Test
  void tensorFlowServingsDefaultsServeNoMetricsAndDoNotBatch(@TempDir Path dir)
      throws Exception {
    int[] ports = freePorts(2);
    var server = new Server(dir, "--port", "" + ports[0], "--rest_api_port=" + ports[1],
        "--model_base_path=" + TestModels.tf1Model(), "--host=127.0.0.1");
    try {
      String out = server.awaitServing();
      assertTrue(out.contains("Serving default version 1 at http://127.0.0.1:" + ports[1]
          + "/v1/models/default"), "TF Serving's model name:\n" + out);
      String rest = "http://127.0.0.1:" + ports[1];
      assertEquals(400, get(rest + "/monitoring/prometheus/metrics").statusCode());
      JsonNode stats = JSON.readTree(get(rest + "/v1/models/default/stats").body());
      assertEquals(false, stats.at("/batching/enabled").asBoolean(true), stats.toString());
      assertEquals(200, get(rest + "/readyz").statusCode(), "the probes are kept");
      assertEquals(0, server.stop(), server.out());
      assertEquals("", server.err());
    } finally {
      server.process.destroyForcibly();
    }
  }

  /** A tensorflow_model_server process, its output in files. */
  private static final class Server {
    final Process process;
    final Path outFile;
    final Path errFile;

    Server(Path dir, String... flags) throws IOException {
      var command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"),
          TensorFlowModelServer.class.getName()));
      command.addAll(List.of(flags));
      outFile = dir.resolve("out.txt");
      errFile = dir.resolve("err.txt");
      var builder = new ProcessBuilder(command)
          .redirectOutput(outFile.toFile())
          .redirectError(errFile.toFile());
      builder.environment().remove(NativeLog.LEVEL_VARIABLE);
      process = builder.start();
    }

    /** Waits until every model is served; returns what the server said so far. */
    String awaitServing() throws Exception {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (System.nanoTime() < deadline) {
        String out = out();
        if (out.contains("\nServing ")) {
          Thread.sleep(200);  // the lines after it
          return out();
        }
        if (!process.isAlive()) {
          throw new AssertionError("tensorflow_model_server exited with " + process.exitValue()
              + ":\n" + out + err());
        }
        Thread.sleep(50);
      }
      throw new AssertionError("tensorflow_model_server did not start:\n" + out() + err());
    }

    /** SIGTERM; the exit code. */
    int stop() throws InterruptedException {
      process.destroy();
      assertTrue(process.waitFor(2, TimeUnit.MINUTES), "the server did not exit");
      return process.exitValue();
    }

    String out() throws IOException {
      return Files.readString(outFile);
    }

    String err() throws IOException {
      return Files.readString(errFile);
    }
  }

  /** Ports free right now, on every address, as the server will listen. */
  private static int[] freePorts(int n) throws IOException {
    var sockets = new ArrayList<ServerSocket>();
    try {
      for (int i = 0; i < n; i++) {
        sockets.add(new ServerSocket(0));
      }
      return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url, String body) throws Exception {
    var response = client.send(HttpRequest.newBuilder(URI.create(url))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return response;
  }

  private static String row(int index) {
    var values = new StringBuilder("[");
    for (float value : TestModels.testImages(index, 1)) {
      values.append(values.length() > 1 ? "," : "").append(value);
    }
    return values.append("]").toString();
  }

  /** One image as TF Serving's clients send it: float32 [1, 784] in tensor_content. */
  private static TensorProto floats(float[] image) {
    var bytes = ByteBuffer.allocate(image.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(image);
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(image.length)))
        .setTensorContent(ByteString.copyFrom(bytes.array())).build();
  }
}
