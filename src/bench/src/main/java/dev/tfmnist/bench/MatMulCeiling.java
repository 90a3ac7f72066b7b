package dev.tfmnist.bench;

import java.util.Arrays;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.types.TFloat32;

/**
 * The machine's ceiling as TensorFlow sees it: GFLOP/s (2 n^3 per product) of an n x n float32
 * MatMul through TensorFlow Java. The operands are variables filled once by a seeded random op, so
 * nothing is fed or copied per repetition and Grappler cannot fold the product away; each
 * repetition runs the MatMul as a target, without fetching its 4 n^2 bytes of output.
 * tools/python/bench_tf.py matmul does the same in Python.
 */
final class MatMulCeiling {
  private MatMulCeiling() {}

  static void run(BenchMain.Args a) {
    int n = a.getInt("size", 4096);
    int warmup = a.getInt("warmup", 1);
    int reps = a.getInt("reps", 5);
    String key = a.get("key", "ceiling.java");
    var config = BenchMain.threads(a).sessionConfig();
    try (var graph = new Graph()) {
      var tf = Ops.create(graph);
      var shape = tf.constant(new long[] {n, n});
      var left = tf.variable(tf.random.randomUniform(shape, TFloat32.class, RandomUniform.seed(1L),
          RandomUniform.seed2(1L)));
      var right = tf.variable(tf.random.randomUniform(shape, TFloat32.class,
          RandomUniform.seed(1L), RandomUniform.seed2(2L)));
      var product = tf.linalg.matMul(left, right);
      try (var session = new Session(graph, config)) {
        session.initialize();
        for (int i = 0; i < warmup; i++) {
          session.runner().addTarget(product).run();
        }
        double[] seconds = new double[reps];
        for (int i = 0; i < reps; i++) {
          long start = System.nanoTime();
          session.runner().addTarget(product).run();
          seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        double flop = 2.0 * n * n * n;
        double median = seconds[reps / 2];
        BenchMain.result("env.java.tf_version", org.tensorflow.TensorFlow.version());
        BenchMain.result(key + ".size", n);
        BenchMain.result(key + ".reps", reps);
        BenchMain.result(key + ".gflops", flop / median / 1e9);
        BenchMain.result(key + ".gflops_best", flop / seconds[0] / 1e9);
        BenchMain.result(key + ".seconds_median", median);
      }
    }
    BenchMain.result(key + ".rss_bytes", RssProbe.peakRssBytes());
  }
}
