package dev.tfmnist.bench;

import com.google.protobuf.ByteString;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.ModelLocation;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.PredictRequest;
import dev.tfmnist.server.grpc.api.PredictionServiceGrpc;
import dev.tfmnist.server.models.ModelConfig;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.VersionRequest;
import dev.tfmnist.server.models.VersionStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.io.file.PathUtils;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Version swaps under load, as a deployment does them: a server on a base directory polled every
 * {@code --poll-seconds} (TF Serving's default 1 s), 8 clients (half REST, half gRPC) sending
 * single-image predictions without pause, and {@code --cycles} new versions copied in under a
 * hidden name and renamed into place, each waited for until it serves and the old one has
 * unloaded (then the old directory is deleted). First {@code --warmup-cycles} cycles let the JVM
 * heap, the JIT and the allocator's arenas settle (RSS rises over the first 15 or so here, then
 * stays flat); then {@code --cycles} measured ones. Reports how long each took from the rename to
 * serving, the requests that failed (any), and the process's RSS at the end of the warm-up
 * against its highest and its last over the measured cycles: memory a load/unload cycle leaks
 * shows as growth.
 */
final class VersionCycles {
  private VersionCycles() {}

  static void run(BenchMain.Args a) throws Exception {
    Path source = ModelLocation.resolve(Path.of(a.required("model")), OptionalLong.empty())
        .directory();
    MnistSplit test = BenchImages.load(Path.of(a.required("data-dir")));
    int warmup = a.getInt("warmup-cycles", 20);
    int cycles = a.getInt("cycles", 50);
    int clients = a.getInt("clients", 8);
    Duration poll = Duration.ofMillis((long) (a.getDouble("poll-seconds", 1) * 1000));
    Path base = Files.createTempDirectory("version-cycles");
    try {
      PathUtils.copyDirectory(source, base.resolve("1"));
      run(base, source, test, warmup, cycles, clients, poll);
    } finally {
      PathUtils.deleteDirectory(base);
    }
  }

  private static void run(Path base, Path source, MnistSplit test, int warmup, int cycles,
      int clients, Duration poll) throws Exception {
    float[] pixels = new float[MnistSplit.PIXELS];
    var bytes = ByteBuffer.allocate(MnistSplit.PIXELS * 4).order(ByteOrder.LITTLE_ENDIAN);
    var json = new StringBuilder("{\"instances\": [[");
    for (int p = 0; p < MnistSplit.PIXELS; p++) {
      pixels[p] = test.pixel(0, p);
      bytes.putFloat(pixels[p]);
      json.append(p == 0 ? "" : ",").append(pixels[p]);
    }
    String body = json.append("]]}").toString();
    var grpcRequest = PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("mnist"))
        .putInputs("xs", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
                .addDim(TensorShapeProto.Dim.newBuilder().setSize(MnistSplit.PIXELS)))
            .setTensorContent(ByteString.copyFrom(bytes.array())).build().toByteString())
        .build();

    try (var models = ModelManager.builder(LoadedModel::load).pollInterval(poll)
            .warmUpRows(32).start(List.of(ModelConfig.of("mnist", base)));
        var server = ModelServer.builder(models).port(0).grpcPort(0).start()) {
      var stop = new AtomicBoolean();
      var failures = new ConcurrentLinkedQueue<String>();
      var answered = new AtomicLong();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      var channel = NettyChannelBuilder.forAddress(server.grpcAddress().orElseThrow())
          .usePlaintext().build();
      var stub = PredictionServiceGrpc.newBlockingStub(channel);
      URI predict = URI.create(server.modelUri() + ":predict");
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      for (int c = 0; c < clients; c++) {
        boolean rest = c % 2 == 0;
        pool.submit(() -> {
          while (!stop.get()) {
            try {
              if (rest) {
                var r = http.send(HttpRequest.newBuilder(predict)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                  failures.add("REST " + r.statusCode() + " " + r.body());
                }
              } else if (!stub.withDeadlineAfter(60, TimeUnit.SECONDS).predict(grpcRequest)
                  .containsOutputs("probabilities")) {
                failures.add("gRPC answer without probabilities");
              }
              answered.incrementAndGet();
            } catch (Exception e) {
              failures.add((rest ? "REST " : "gRPC ") + e);
            }
          }
        });
      }
      int total = warmup + cycles;
      double[] swapSeconds = new double[total];
      long rssFirst = rssBytes();
      long rssMax = 0;
      long rssLast = 0;
      long t0 = System.nanoTime();
      try {
        for (int cycle = 1; cycle <= total; cycle++) {
          long version = cycle + 1;
          Path staging = base.resolve(".copying-" + version);
          PathUtils.copyDirectory(source, staging);
          Files.move(staging, base.resolve(Long.toString(version)),
              StandardCopyOption.ATOMIC_MOVE);
          long renamed = System.nanoTime();
          awaitTrue(() -> models.servingVersions("mnist").equals(Set.of(version)),
              "version " + version + " served");
          swapSeconds[cycle - 1] = (System.nanoTime() - renamed) / 1e9;
          awaitTrue(() -> models.status(VersionRequest.version("mnist", version - 1)).get(0)
              .state() == VersionStatus.State.END, "version " + (version - 1) + " unloaded");
          PathUtils.deleteDirectory(base.resolve(Long.toString(version - 1)));
          long rss = rssBytes();
          if (cycle == warmup) {
            rssFirst = rss;
          } else if (cycle > warmup) {
            rssMax = Math.max(rssMax, rss);
            rssLast = rss;
          }
          System.err.printf("cycle %d%s: version %d served %.2f s after its rename, RSS %d MB%n",
              cycle, cycle <= warmup ? " (warm-up)" : "", version, swapSeconds[cycle - 1],
              rss >> 20);
        }
      } finally {
        stop.set(true);
        pool.shutdown();
        pool.awaitTermination(2, TimeUnit.MINUTES);
        channel.shutdownNow();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double[] sorted = swapSeconds.clone();
      Arrays.sort(sorted);
      BenchMain.result("versions.cycles", total);
      BenchMain.result("versions.warmup_cycles", warmup);
      BenchMain.result("versions.clients", clients);
      BenchMain.result("versions.poll_seconds", poll.toMillis() / 1000.0);
      BenchMain.result("versions.requests", answered.get());
      BenchMain.result("versions.rps", answered.get() / seconds);
      BenchMain.result("versions.failures", failures.size());
      BenchMain.result("versions.swap_p50_s", sorted[(sorted.length - 1) / 2]);
      BenchMain.result("versions.swap_max_s", sorted[sorted.length - 1]);
      BenchMain.result("versions.rss_first_bytes", rssFirst);
      BenchMain.result("versions.rss_max_bytes", rssMax);
      BenchMain.result("versions.rss_last_bytes", rssLast);
      BenchMain.result("versions.rss_growth_pct", 100.0 * (rssLast - rssFirst) / rssFirst);
      BenchMain.result("versions.rss_max_growth_pct", 100.0 * (rssMax - rssFirst) / rssFirst);
      if (!failures.isEmpty()) {
        BenchMain.result("versions.first_failure",
            failures.peek().replaceAll("\\s+", "_"));
      }
    }
  }

  private static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS line in /proc/self/status");
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not within 2 minutes: " + what);
      }
      Thread.sleep(5);
    }
  }
}
