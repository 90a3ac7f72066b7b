package dev.tfmnist.bench;

import dev.tfmnist.data.BatchSampler;
import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.model.Loss;
import dev.tfmnist.model.MnistCnn;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Where a step's time goes: TensorFlow's own per-op trace (RunOptions FULL_TRACE) of traced
 * training steps (or forward passes at {@code --batch}), summed by op type (or per node), with the share of the
 * step's wall time. For the analysis behind the proposals, not part of the table:
 *
 * <pre>BenchMain profile --data-dir DIR [--what train|infer] [--batch N] [--steps 10] [--by type|node]</pre>
 *
 * tools/python/bench_tf.py profile prints the same for Python.
 */
final class StepProfile {
  private StepProfile() {}

  static void run(BenchMain.Args a) throws IOException {
    String what = a.get("what", "train");
    int batch = a.getInt("batch", 100);
    int steps = a.getInt("steps", 10);
    boolean byNode = a.get("by", "type").equals("node");
    var data = MnistDataset.load(Path.of(a.required("data-dir")));
    var config = BenchMain.threads(a).sessionConfig();
    var trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
    try (var graph = new Graph()) {
      var cnn = new MnistCnn(graph, 1);
      var training = cnn.training(1e-4f, Loss.ORIGINAL);
      if (a.get("dump-graph", null) != null) {  // the GraphDef, to compare with Python's
        java.nio.file.Files.write(Path.of(a.get("dump-graph", null)), graph.toGraphDef().toByteArray());
      }
      try (var session = new Session(graph, config)) {
        var sampler = new BatchSampler(data.train().count(), 1);
        var indices = new int[batch];
        var xs = new float[batch * MnistSplit.PIXELS];
        var ys = new float[batch * MnistSplit.CLASSES];
        var byOp = new HashMap<String, long[]>();  // op type -> {micros, count}
        double wallMicros = 0;
        for (int step = 0; step < 20 + steps; step++) {
          sampler.next(indices);
          data.train().fillBatch(indices, xs, ys);
          boolean traced = step >= 20;
          try (var x = TFloat32.tensorOf(Shape.of(batch, 784), DataBuffers.of(xs, true, false));
              var y = TFloat32.tensorOf(Shape.of(batch, 10), DataBuffers.of(ys, true, false));
              var keep = TFloat32.scalarOf(0.5f);
              var seed = TInt64.vectorOf(1, step)) {
            var runner = session.runner().feed(cnn.xs, x);
            if (what.equals("train")) {
              runner.feed(training.ys(), y).feed(cnn.keepProb, keep).feed(cnn.dropoutSeed, seed)
                  .addTarget(training.trainStep()).fetch(training.crossEntropy());
            } else {
              runner.fetch(cnn.prediction).fetch(cnn.classes);
            }
            if (traced) {
              runner.setOptions(trace);
            }
            long t0 = System.nanoTime();
            try (var result = traced ? runner.runAndFetchMetadata() : runner.run()) {
              if (traced) {
                wallMicros += (System.nanoTime() - t0) / 1e3;
                add(byOp, result.getMetadata().orElseThrow(), graph, byNode);
              }
            }
          }
        }
        report(what, batch, steps, wallMicros, byOp);
      }
    }
  }

  private static void add(Map<String, long[]> byOp, RunMetadata metadata, Graph graph,
      boolean byNode) {
    for (var device : metadata.getStepStats().getDevStatsList()) {
      for (NodeExecStats node : device.getNodeStatsList()) {
        String name = node.getNodeName();
        var op = graph.operation(name);
        String type = op != null ? op.type() : name.replaceAll(":.*", "");
        long micros = node.getOpEndRelMicros() - node.getOpStartRelMicros();
        var entry = byOp.computeIfAbsent(byNode ? type + " " + name : type, k -> new long[2]);
        entry[0] += micros;
        entry[1]++;
      }
    }
  }

  private static void report(String what, int batch, int steps, double wallMicros,
      Map<String, long[]> byOp) {
    long total = byOp.values().stream().mapToLong(e -> e[0]).sum();
    System.out.printf(Locale.ROOT, "profile %s batch %d: %.2f ms wall per step, %.2f ms of op time"
        + " per step (summed over threads)%n", what, batch, wallMicros / steps / 1e3,
        total / (double) steps / 1e3);
    var entries = new ArrayList<>(byOp.entrySet());
    entries.sort((p, q) -> Long.compare(q.getValue()[0], p.getValue()[0]));
    for (var e : entries) {
      double ms = e.getValue()[0] / (double) steps / 1e3;
      if (ms < 0.05) {
        continue;
      }
      System.out.printf(Locale.ROOT, "  %-40s %8.2f ms/step  %5.1f%%  %4d ops/step%n", e.getKey(),
          ms, 100.0 * e.getValue()[0] / total, e.getValue()[1] / steps);
    }
  }
}
