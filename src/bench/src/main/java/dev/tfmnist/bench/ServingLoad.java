package dev.tfmnist.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.PredictRequest;
import dev.tfmnist.server.grpc.api.PredictionServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A closed-loop load generator for ServeMnist's {@code :predict} on loopback: C workers, each with
 * one request in flight at a time on its own keep-alive connection ({@link LoopbackConnection}),
 * single-image {@code {"instances": [[784 floats]]}} bodies cycling through the first 100 MNIST
 * test images. With {@code --grpc HOST:PORT} the same images go as TF Serving's gRPC Predict
 * (one channel per worker, the image as a float32 TensorProto) instead, and with {@code --page}
 * the page's path: each image as the page's 280x280 canvas PNG to {@code POST /ui/v1/predict}
 * (decode, MNIST preprocessing and predict on the server). The server first gets {@code
 * --server-warmup-seconds} of traffic at concurrency 16; every level then warms up (dropped),
 * then runs until {@code --seconds} have passed or each worker has sent its share of {@code
 * --max-requests}, whichever comes first. Any response other than 200 with {@code predictions}
 * counts as an error; tools/bench fails the run when there is one.
 *
 * <p>Results per level: requests/s (answered requests over the measured wall time), p50/p99/max
 * latency, errors, and, when the server batches, the mean batch size over the measured window
 * (from ServeMnist's {@code GET /v1/models/NAME/stats}).
 */
final class ServingLoad {
  private static final int BODIES = 100;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] PREDICTIONS = "\"predictions\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] PREDICTED_CLASS = "\"predicted_class\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private ServingLoad() {}

  static void run(BenchMain.Args a) throws IOException, InterruptedException {
    URI model = URI.create(a.required("url"));  // e.g. http://127.0.0.1:8501/v1/models/mnist
    if (!"127.0.0.1".equals(model.getHost()) && !"localhost".equals(model.getHost())) {
      throw new IllegalArgumentException("--url must be on loopback (127.0.0.1), got " + model);
    }
    String label = a.get("label", "serving");
    double seconds = a.getDouble("seconds", 5);
    double warmupSeconds = a.getDouble("warmup-seconds", 1);
    int maxRequests = a.getInt("max-requests", 1_000_000);
    List<Integer> levels = a.intList("concurrency", "1,16,64");
    URI stats = URI.create(model + "/stats");
    MnistSplit test = BenchImages.load(Path.of(a.required("data-dir")));
    String grpc = a.get("grpc", "");
    // --page: the page's path, a drawing as PNG in and the digit out (decode, MNIST
    // preprocessing, predict); else TF Serving's :predict with 784 floats
    boolean page = a.flag("page");
    String name = model.getPath().substring(model.getPath().lastIndexOf('/') + 1);
    URI predict = page ? model.resolve("/ui/v1/predict") : URI.create(model + ":predict");
    List<byte[]> bodies = (page ? pageBodies(test, name) : bodies(test)).stream()
        .map(json -> LoopbackConnection.post(predict, json)).toList();
    List<PredictRequest> grpcRequests = grpc.isEmpty() ? List.of()
        : grpcRequests(test, name);

    long serverPid = Long.parseLong(a.get("server-pid", "0"));
    int clockTicks = a.getInt("clk-tck", 100);
    double serverWarmup = a.getDouble("server-warmup-seconds", 0);
    if (serverWarmup > 0) {
      // JIT-compiles the server's request path (and TensorFlow's first runs at every batch size
      // up to 16) before any level is measured; each level then warms up once more on its own
      try (var clients = senders(grpc, predict, bodies, grpcRequests, 16)) {
        drive(clients, 16, serverWarmup, Integer.MAX_VALUE);
      }
    }
    HttpClient statsClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    for (int concurrency : levels) {
      try (var clients = senders(grpc, predict, bodies, grpcRequests, concurrency)) {
        drive(clients, concurrency, warmupSeconds, Integer.MAX_VALUE);
        JsonNode before = get(statsClient, stats);
        long serverCpu0 = serverPid > 0 ? cpuTicks(serverPid) : 0;
        long clientCpu0 = ownCpuNanos();
        Level level = drive(clients, concurrency, seconds,
            Math.max(1, maxRequests / concurrency));
        long clientCpu = ownCpuNanos() - clientCpu0;
        long serverCpu = serverPid > 0 ? cpuTicks(serverPid) - serverCpu0 : 0;
        JsonNode after = get(statsClient, stats);
        String key = "serve.java." + label + ".c" + concurrency;
        long[] latencies = level.latencies();
        BenchMain.result(key + ".requests", latencies.length);
        BenchMain.result(key + ".errors", level.errors);
        BenchMain.result(key + ".seconds", level.seconds);
        BenchMain.result(key + ".rps", latencies.length / level.seconds);
        BenchMain.result(key + ".p50_ms", percentile(latencies, 50) / 1e6);
        BenchMain.result(key + ".p99_ms", percentile(latencies, 99) / 1e6);
        BenchMain.result(key + ".max_ms", latencies.length == 0 ? 0 : latencies[latencies.length - 1] / 1e6);
        if (latencies.length > 0) {
          // CPU time per answered request: what the server and this load generator each spend
          BenchMain.result(key + ".client_cpu_ms_per_request", clientCpu / 1e6 / latencies.length);
          if (serverPid > 0) {
            BenchMain.result(key + ".server_cpu_ms_per_request",
                serverCpu * 1000.0 / clockTicks / latencies.length);
          }
        }
        JsonNode b0 = before.path("batching");
        JsonNode b1 = after.path("batching");
        if (b1.path("enabled").asBoolean(false)) {
          long requests = b1.path("requests").asLong() - b0.path("requests").asLong();
          long batches = b1.path("batches").asLong() - b0.path("batches").asLong();
          BenchMain.result(key + ".mean_batch", batches == 0 ? 0 : (double) requests / batches);
        }
        if (level.firstError.get() != null) {
          BenchMain.result(key + ".first_error", level.firstError.get().replaceAll("\\s+", "_"));
        }
      }
    }
  }

  /** Sends worker w's next request; null when answered well, else what went wrong. */
  private interface Senders extends AutoCloseable {
    String send(int worker, int request);

    int requests();

    @Override
    void close() throws IOException;
  }

  private static Senders senders(String grpc, URI predict, List<byte[]> bodies,
      List<PredictRequest> grpcRequests, int concurrency) {
    return grpc.isEmpty() ? new RestSenders(predict, bodies, concurrency)
        : new GrpcSenders(grpc, grpcRequests, concurrency);
  }

  /** One keep-alive connection per worker, as many as requests in flight. */
  private static final class RestSenders implements Senders {
    private final LoopbackConnection[] connections;
    private final List<byte[]> bodies;

    RestSenders(URI predict, List<byte[]> bodies, int concurrency) {
      this.bodies = bodies;
      connections = new LoopbackConnection[concurrency];
      for (int w = 0; w < concurrency; w++) {
        connections[w] = new LoopbackConnection(predict);
      }
    }

    @Override
    public String send(int worker, int request) {
      LoopbackConnection connection = connections[worker];
      try {
        int status = connection.send(bodies.get(request));
        if (status != 200 || !(connection.bodyContains(PREDICTIONS)
            || connection.bodyContains(PREDICTED_CLASS))) {
          return "HTTP " + status + " " + abbreviate(connection.body());
        }
        return null;
      } catch (IOException e) {
        try {
          connection.close();  // the next request reconnects
        } catch (IOException ignored) {
          // already broken
        }
        return e.toString();
      }
    }

    @Override
    public int requests() {
      return bodies.size();
    }

    @Override
    public void close() throws IOException {
      for (var connection : connections) {
        connection.close();
      }
    }
  }

  /** One gRPC channel (one HTTP/2 connection) per worker, with TF Serving's stub. */
  private static final class GrpcSenders implements Senders {
    private final ManagedChannel[] channels;
    private final PredictionServiceGrpc.PredictionServiceBlockingStub[] stubs;
    private final List<PredictRequest> requests;

    GrpcSenders(String target, List<PredictRequest> requests, int concurrency) {
      this.requests = requests;
      channels = new ManagedChannel[concurrency];
      stubs = new PredictionServiceGrpc.PredictionServiceBlockingStub[concurrency];
      for (int w = 0; w < concurrency; w++) {
        channels[w] = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        stubs[w] = PredictionServiceGrpc.newBlockingStub(channels[w]);
      }
    }

    @Override
    public String send(int worker, int request) {
      try {
        var answer = stubs[worker].withDeadlineAfter(60, TimeUnit.SECONDS)
            .predict(requests.get(request));
        return answer.containsOutputs("probabilities") ? null : "no probabilities: " + answer;
      } catch (StatusRuntimeException e) {
        return "gRPC " + e.getStatus();
      }
    }

    @Override
    public int requests() {
      return requests.size();
    }

    @Override
    public void close() {
      for (var channel : channels) {
        channel.shutdownNow();
      }
    }
  }

  private record Level(long[][] perWorker, int[] counts, long errors, double seconds,
      AtomicReference<String> firstError) {
    long[] latencies() {
      int total = Arrays.stream(counts).sum();
      long[] all = new long[total];
      int at = 0;
      for (int w = 0; w < perWorker.length; w++) {
        System.arraycopy(perWorker[w], 0, all, at, counts[w]);
        at += counts[w];
      }
      Arrays.sort(all);
      return all;
    }
  }

  private static Level drive(Senders clients, int concurrency, double seconds, int perWorkerCap)
      throws InterruptedException {
    int capacity = (int) Math.min(perWorkerCap, 2_000_000L);
    long[][] latencies = new long[concurrency][];
    int[] counts = new int[concurrency];
    long[] errors = new long[concurrency];
    var firstError = new AtomicReference<String>();
    var start = new CountDownLatch(1);
    var done = new CountDownLatch(concurrency);
    long[] bounds = new long[2];
    var threads = new ArrayList<Thread>();
    for (int w = 0; w < concurrency; w++) {
      int worker = w;
      latencies[w] = new long[Math.min(capacity, 1 << 16)];
      var thread = new Thread(() -> {
        try {
          start.await();
          long deadline = bounds[1];
          int i = worker;
          while (counts[worker] + errors[worker] < capacity && System.nanoTime() < deadline) {
            int request = i++ % clients.requests();
            long t0 = System.nanoTime();
            String problem = clients.send(worker, request);
            long elapsed = System.nanoTime() - t0;
            if (problem != null) {
              errors[worker]++;
              firstError.compareAndSet(null, problem);
              continue;
            }
            if (counts[worker] == latencies[worker].length) {
              latencies[worker] = Arrays.copyOf(latencies[worker], latencies[worker].length * 2);
            }
            latencies[worker][counts[worker]++] = elapsed;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          done.countDown();
        }
      }, "load-" + w);
      thread.setDaemon(true);
      thread.start();
      threads.add(thread);
    }
    bounds[0] = System.nanoTime();
    bounds[1] = bounds[0] + (long) (seconds * 1e9);
    start.countDown();  // publishes bounds to the workers (happens-before via the latch)
    done.await();
    double elapsed = (System.nanoTime() - bounds[0]) / 1e9;
    for (Thread t : threads) {
      t.join();
    }
    return new Level(latencies, counts, Arrays.stream(errors).sum(), elapsed, firstError);
  }

  /** utime + stime of a process, in clock ticks, from /proc/PID/stat. */
  private static long cpuTicks(long pid) throws IOException {
    String stat = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);  // fields 14 and 15
  }

  private static long ownCpuNanos() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
  }

  private static JsonNode get(HttpClient client, URI uri) throws IOException, InterruptedException {
    var response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      return JSON.createObjectNode();  // a server without the stats endpoint: no batch sizes
    }
    return JSON.readTree(response.body());
  }

  /** TF Serving's PredictRequest for each image: input xs, float32 [1, 784] in tensor_content. */
  private static List<PredictRequest> grpcRequests(MnistSplit test, String model) {
    var requests = new ArrayList<PredictRequest>(BODIES);
    for (int image = 0; image < BODIES; image++) {
      var pixels = java.nio.ByteBuffer.allocate(MnistSplit.PIXELS * 4)
          .order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int p = 0; p < MnistSplit.PIXELS; p++) {
        pixels.putFloat(test.pixel(image, p));
      }
      TensorProto tensor = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
          .setTensorShape(TensorShapeProto.newBuilder()
              .addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
              .addDim(TensorShapeProto.Dim.newBuilder().setSize(MnistSplit.PIXELS)))
          .setTensorContent(ByteString.copyFrom(pixels.array())).build();
      requests.add(PredictRequest.newBuilder()
          .setModelSpec(ModelSpec.newBuilder().setName(model))
          .putInputs("xs", tensor.toByteString()).build());
    }
    return requests;
  }

  /**
   * The page's requests: each test image drawn as the page's 280x280 canvas would send it (white
   * ink on black, every MNIST pixel a 10x10 block), as PNG in base64.
   */
  private static List<String> pageBodies(MnistSplit test, String model) throws IOException {
    var bodies = new ArrayList<String>(BODIES);
    int scale = 10;
    for (int image = 0; image < BODIES; image++) {
      var canvas = new java.awt.image.BufferedImage(28 * scale, 28 * scale,
          java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
      var raster = canvas.getRaster();
      for (int p = 0; p < MnistSplit.PIXELS; p++) {
        int value = Math.round(test.pixel(image, p) * 255);
        int x0 = (p % 28) * scale;
        int y0 = (p / 28) * scale;
        for (int y = y0; y < y0 + scale; y++) {
          for (int x = x0; x < x0 + scale; x++) {
            raster.setSample(x, y, 0, value);
          }
        }
      }
      var png = new java.io.ByteArrayOutputStream();
      javax.imageio.ImageIO.write(canvas, "png", png);
      bodies.add("{\"model\": " + JSON.writeValueAsString(model) + ", \"image\": {\"b64\": \""
          + java.util.Base64.getEncoder().encodeToString(png.toByteArray()) + "\"}}");
    }
    return bodies;
  }

  private static List<String> bodies(MnistSplit test) {
    var bodies = new ArrayList<String>(BODIES);
    for (int image = 0; image < BODIES; image++) {
      var sb = new StringBuilder(8192).append("{\"instances\": [[");
      for (int p = 0; p < MnistSplit.PIXELS; p++) {
        if (p > 0) {
          sb.append(',');
        }
        sb.append(test.pixel(image, p));
      }
      bodies.add(sb.append("]]}").toString());
    }
    return bodies;
  }

  /** The value at or below which {@code pct} percent of the sorted values lie (nearest rank). */
  static double percentile(long[] sorted, double pct) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(pct / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static String abbreviate(String s) {
    s = s.strip();
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
