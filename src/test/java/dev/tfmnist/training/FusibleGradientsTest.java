package dev.tfmnist.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.data.BatchSampler;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.model.FusibleGradients;
import dev.tfmnist.model.GraphNames;
import dev.tfmnist.model.Loss;
import dev.tfmnist.model.MnistCnn;
import dev.tfmnist.testing.TestData;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** The trainer's rewired graph computes what MnistCnn's graph computes, and Grappler fuses it. */
class FusibleGradientsTest {
  private static final int BATCH = 100;

  private static GraphDef plainTrainingGraph() {
    try (var graph = new Graph()) {
      new MnistCnn(graph, TrainingConfig.ORIGINAL.seed()).training(1e-4f, Loss.ORIGINAL);
      return graph.toGraphDef();
    }
  }

  @Test
  void movesOneShapeEdgePerBiasAddAndOneReluGradEdgePerRelu() {
    var rewrite = FusibleGradients.rewrite(plainTrainingGraph());
    assertEquals(4, rewrite.shapeEdges(), "conv1, conv2, fc1, fc2");
    assertEquals(3, rewrite.reluGradEdges(), "h_conv1, h_conv2, h_fc1");
    var again = FusibleGradients.rewrite(rewrite.graphDef());
    assertEquals(0, again.shapeEdges() + again.reluGradEdges(), "nothing left to move");
  }

  @Test
  void trainerLossesEqualThePlainGraphsBitForBit() {
    var data = TestData.dataset();
    var config = TrainingConfig.ORIGINAL;
    int steps = 25;
    var indices = new int[BATCH];
    var xs = new float[BATCH * MnistSplit.PIXELS];
    var ys = new float[BATCH * MnistSplit.CLASSES];

    var trainerLosses = new float[steps];
    var sampler = new BatchSampler(data.train().count(), config.seed());
    try (var trainer = new MnistTrainer(config)) {
      for (int step = 0; step < steps; step++) {
        sampler.next(indices);
        data.train().fillBatch(indices, xs, ys);
        trainerLosses[step] = trainer.trainStep(step, xs, ys, BATCH);
      }
    }

    sampler = new BatchSampler(data.train().count(), config.seed());
    try (var graph = new Graph()) {
      graph.importGraphDef(plainTrainingGraph());
      try (var session = new Session(graph)) {
        for (int step = 0; step < steps; step++) {
          sampler.next(indices);
          data.train().fillBatch(indices, xs, ys);
          float loss = step(session, step, xs, ys, null).loss;
          assertEquals(Float.floatToIntBits(trainerLosses[step]), Float.floatToIntBits(loss),
              "step " + step + ": trainer " + trainerLosses[step] + ", plain graph " + loss);
        }
      }
    }
  }

  @Test
  void grapplerFusesTheRewiredGraphAndNotThePlainOne() {
    var plain = plainTrainingGraph();
    var fusedOps = fusedOpsInOneStep(FusibleGradients.rewrite(plain).graphDef());
    // oneDNN's names on this CPU build (_MklNativeFusedConv2D); plain _FusedConv2D elsewhere
    assertTrue(fusedOps.stream().anyMatch(op -> op.endsWith("FusedConv2D")), "fused ops: " + fusedOps);
    assertTrue(fusedOps.stream().anyMatch(op -> op.endsWith("FusedMatMul")), "fused ops: " + fusedOps);
    var plainFused = fusedOpsInOneStep(plain);
    assertFalse(plainFused.stream().anyMatch(op -> op.endsWith("FusedConv2D")),
        "the plain graph fuses already (" + plainFused + "): the rewrite may no longer be needed");
  }

  private static Set<String> fusedOpsInOneStep(GraphDef graphDef) {
    var data = TestData.dataset();
    var indices = new int[BATCH];
    var xs = new float[BATCH * MnistSplit.PIXELS];
    var ys = new float[BATCH * MnistSplit.CLASSES];
    new BatchSampler(data.train().count(), 1).next(indices);
    data.train().fillBatch(indices, xs, ys);
    try (var graph = new Graph()) {
      graph.importGraphDef(graphDef);
      try (var session = new Session(graph)) {
        var trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
        return step(session, 0, xs, ys, trace).fusedOps;
      }
    }
  }

  private record StepResult(float loss, Set<String> fusedOps) {}

  private static StepResult step(Session session, int step, float[] xs, float[] ys, RunOptions trace) {
    try (var x = TFloat32.tensorOf(Shape.of(BATCH, MnistSplit.PIXELS), DataBuffers.of(xs, true, false));
        var y = TFloat32.tensorOf(Shape.of(BATCH, MnistSplit.CLASSES), DataBuffers.of(ys, true, false));
        var keep = TFloat32.scalarOf(0.5f);
        var seed = TInt64.vectorOf(TrainingConfig.ORIGINAL.seed(), step)) {
      var runner = session.runner()
          .feed(GraphNames.XS, x)
          .feed(GraphNames.YS, y)
          .feed(GraphNames.KEEP_PROB, keep)
          .feed(GraphNames.DROPOUT_SEED, seed)
          .addTarget(GraphNames.TRAIN_STEP)
          .fetch(GraphNames.CROSS_ENTROPY);
      var fused = new TreeSet<String>();
      if (trace == null) {
        try (var result = runner.run()) {
          return new StepResult(((TFloat32) result.get(0)).getFloat(), fused);
        }
      }
      try (var result = runner.setOptions(trace).runAndFetchMetadata()) {
        for (var device : result.getMetadata().orElseThrow().getStepStats().getDevStatsList()) {
          for (var node : device.getNodeStatsList()) {
            // "[mklcpu 9.7MB 9.7MB] h_conv1 = _MklNativeFusedConv2D(x_image, ...)": Grappler's op
            // type is in the label only
            var label = node.getTimelineLabel();
            int start = label.indexOf(" = ");
            int end = label.indexOf('(', Math.max(start, 0));
            if (start >= 0 && end > start && label.substring(start, end).contains("Fused")) {
              fused.add(label.substring(start + 3, end));
            }
          }
        }
        return new StepResult(((TFloat32) result.get(0)).getFloat(), fused);
      }
    }
  }
}
