package dev.tfmnist.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.grpc.GrpcClient;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.models.ModelConfig;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.VersionDirsAccess;
import dev.tfmnist.server.models.VersionRequest;
import dev.tfmnist.server.models.VersionStatus;
import dev.tfmnist.testing.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * New versions renamed into the base directory while 8 clients (4 REST, 4 gRPC) send
 * predictions without pause: each version is served by the poller, the old one unloaded once its
 * requests finish, and no request fails.
 */
class VersionSwapUnderLoadTest {
  @Test
  void versionsSwapUnderEightClientsWithoutAFailedRequest(@TempDir Path base) throws Exception {
    VersionDirsAccess.add(base, "1");
    float[] seven = TestModels.testImages(0, 1);
    var row = new StringBuilder("{\"instances\": [[");
    for (int p = 0; p < 784; p++) {
      row.append(p == 0 ? "" : ",").append(seven[p]);
    }
    String body = row.append("]]}").toString();
    var grpcRequest = GrpcClient.request(ModelSpec.newBuilder().setName("mnist").build(),
        Map.of("xs", GrpcClient.floats(seven, 1, 784)));

    try (var models = ModelManager.builder(LoadedModel::load)
            .pollInterval(Duration.ofMillis(200))
            .start(List.of(ModelConfig.of("mnist", base)));
        var server = ModelServer.builder(models).port(0).grpcPort(0).start();
        var grpc = new GrpcClient(server.grpcAddress().orElseThrow())) {
      var stop = new AtomicBoolean();
      var failures = new ConcurrentLinkedQueue<String>();
      var answered = new AtomicLong();
      Set<Long> versionsSeen = ConcurrentHashMap.newKeySet();
      HttpClient http = HttpClient.newHttpClient();
      ExecutorService clients = Executors.newFixedThreadPool(8);
      for (int c = 0; c < 8; c++) {
        boolean rest = c % 2 == 0;
        clients.submit(() -> {
          while (!stop.get()) {
            try {
              if (rest) {
                var r = http.send(HttpRequest.newBuilder(URI.create(server.modelUri()
                    + ":predict")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200 || !r.body().contains("\"classes\":7")) {
                  failures.add("REST " + r.statusCode() + " " + r.body());
                }
              } else {
                var answer = grpc.predictions.predict(grpcRequest);
                versionsSeen.add(answer.getModelSpec().getVersion().getValue());
                if (GrpcClient.output(answer, "classes").getInt64Val(0) != 7) {
                  failures.add("gRPC answered " + answer);
                }
              }
              answered.incrementAndGet();
            } catch (Exception e) {
              failures.add((rest ? "REST " : "gRPC ") + e);
            }
          }
        });
      }
      try {
        awaitTrue(Duration.ofSeconds(60), "a gRPC answer from version 1",
            () -> versionsSeen.contains(1L));
        for (long next = 2; next <= 4; next++) {
          long version = next;
          VersionDirsAccess.add(base, Long.toString(version));
          awaitTrue(Duration.ofSeconds(60), version + " served and " + (version - 1)
              + " unloaded", () -> models.servingVersions("mnist").equals(Set.of(version))
              && models.status(VersionRequest.version("mnist", version - 1)).get(0).state()
                  == VersionStatus.State.END);
          awaitTrue(Duration.ofSeconds(60), "a gRPC answer from version " + version,
              () -> versionsSeen.contains(version));
        }
      } finally {
        stop.set(true);
        clients.shutdown();
        assertTrue(clients.awaitTermination(60, TimeUnit.SECONDS));
      }
      assertEquals(List.of(), List.copyOf(failures), "failed requests");
      assertEquals(Set.of(1L, 2L, 3L, 4L), versionsSeen);
      assertTrue(answered.get() > 8, "answered " + answered.get());
    }
  }

  private static void awaitTrue(Duration limit, String what,
      java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit + ": " + what);
      }
      Thread.sleep(10);
    }
  }
}
