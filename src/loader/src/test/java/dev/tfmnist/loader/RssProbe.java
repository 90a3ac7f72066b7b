package dev.tfmnist.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.tensorflow.ndarray.Shape;

/**
 * Runs batch-1 predictions in a JVM of its own and prints its resident set size after a warm-up
 * and after the run, so that a test can tell native memory from the Java heap: the parent starts
 * it with a fixed, pre-touched heap, which makes every later change in RSS native.
 *
 * <p>Arguments: model directory, warm-up predictions, measured predictions, threads. Prints lines
 * {@code rss_warm_kb N}, {@code rss_end_kb N} and {@code predictions N}.
 */
public final class RssProbe {
  private RssProbe() {}

  public static void main(String[] args) throws Exception {
    Path modelDir = Path.of(args[0]);
    int warmUp = Integer.parseInt(args[1]);
    int count = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    float[] pixels = new float[784];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (i * 37 % 255) / 255f;
    }
    try (var model = LoadedModel.load(modelDir)) {
      var predictor = model.predictor();
      var input = TensorValue.ofFloats(Shape.of(1, 784), pixels);
      run(predictor, input, warmUp, threads);
      System.gc();
      System.out.println("rss_warm_kb " + rssKb());
      long start = System.nanoTime();
      run(predictor, input, count, threads);
      System.gc();
      System.out.println("rss_end_kb " + rssKb());
      System.out.println("predictions " + count);
      System.out.printf("micros_per_prediction %.1f%n", (System.nanoTime() - start) / 1e3 / count);
    }
  }

  private static void run(Predictor predictor, TensorValue input, int count, int threads)
      throws InterruptedException {
    var left = new AtomicInteger(count);
    var workers = new ArrayList<Thread>();
    for (int t = 0; t < threads; t++) {
      var worker = new Thread(() -> {
        while (left.getAndDecrement() > 0) {
          predictor.predict(input);
        }
      });
      worker.start();
      workers.add(worker);
    }
    for (Thread worker : workers) {
      worker.join();
    }
  }

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IOException("no VmRSS in /proc/self/status");
  }
}
