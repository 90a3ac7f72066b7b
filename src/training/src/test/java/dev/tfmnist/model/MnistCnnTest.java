package dev.tfmnist.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;

class MnistCnnTest {

  @Test
  void layersHaveTheOriginalsOutputShapes() {
    try (var graph = new Graph()) {
      var cnn = new MnistCnn(graph, 1);
      cnn.training(1e-4f, Loss.ORIGINAL);
      var expected = Map.of(
          "h_conv1", Shape.of(-1, 28, 28, 32),
          "h_pool1", Shape.of(-1, 14, 14, 32),
          "h_conv2", Shape.of(-1, 14, 14, 64),
          "h_pool2", Shape.of(-1, 7, 7, 64),
          "h_fc1", Shape.of(-1, 1024),
          "h_fc1_drop", Shape.of(-1, 1024),
          "logits", Shape.of(-1, 10),
          "prediction", Shape.of(-1, 10),
          "classes", Shape.of(-1),
          "cross_entropy", Shape.scalar());
      expected.forEach((name, shape) -> {
        var op = graph.operation(name);
        assertNotNull(op, "no op named " + name);
        assertArrayEquals(shape.asArray(), op.output(0).shape().asArray(), name);
      });
      assertArrayEquals(new long[] {-1, 784}, graph.operation("xs").output(0).shape().asArray());
      assertArrayEquals(new long[] {-1, 10}, graph.operation("ys").output(0).shape().asArray());
      assertEquals(Shape.scalar(), graph.operation("keep_prob").output(0).shape());
      assertNotNull(graph.operation("train_step"));
      assertNotNull(graph.operation("accuracy"));
    }
  }

  @Test
  void hasTheOriginalsTrainableVariablesAndParameterCount() {
    try (var graph = new Graph()) {
      new MnistCnn(graph, 1);
      var variables = new ArrayList<String>();
      long parameters = 0;
      for (var it = graph.operations(); it.hasNext(); ) {
        var op = it.next();
        if (op.type().equals("VariableV2")) {
          variables.add(op.name());
          parameters += op.output(0).shape().size();
        }
      }
      assertEquals(GraphNames.VARIABLES, variables.stream().sorted(
          java.util.Comparator.comparingInt(GraphNames.VARIABLES::indexOf)).toList());
      assertEquals(8, variables.size());
      assertEquals(3_274_634, parameters);
    }
  }

  /**
   * The layer-by-layer backward pass gives the gradients that one {@code addGradients} over the
   * whole graph gives, bit for bit, on a real batch with dropout, while the forward pass it leaves
   * is fused (Conv2D/MatMul + Add + ReLU in one op), which the whole-graph gradients prevent.
   */
  @Test
  void layerByLayerGradientsEqualWholeGraphGradientsBitForBitAndLetTheForwardPassFuse() {
    var images = new float[100 * 784];
    var labels = new float[100 * 10];
    dev.tfmnist.testing.TestData.dataset().train()
        .fillBatch(java.util.stream.IntStream.range(0, 100).toArray(), images, labels);
    var layered = gradientValues(images, labels, true);
    var whole = gradientValues(images, labels, false);
    assertEquals(GraphNames.VARIABLES.size() + 1, layered.values().size());
    for (int i = 0; i < layered.values().size(); i++) {
      String what = i == 0 ? "the loss" : "the gradient of " + GraphNames.VARIABLES.get(i - 1);
      float[] a = layered.values().get(i);
      float[] b = whole.values().get(i);
      assertEquals(b.length, a.length, what);
      for (int j = 0; j < a.length; j++) {
        if (Float.floatToRawIntBits(a[j]) != Float.floatToRawIntBits(b[j])) {
          throw new AssertionError(what + " differs at " + j + ": " + a[j] + " layer by layer, "
              + b[j] + " from the whole graph");
        }
      }
    }
    assertEquals(3, layered.fusedOps(), "fused Conv2D/MatMul + Add + ReLU ops, layer by layer");
    assertEquals(0, whole.fusedOps(), "fused ops with the whole-graph gradients");
  }

  private record Gradients(java.util.List<float[]> values, long fusedOps) {}

  private static Gradients gradientValues(float[] images, float[] labels, boolean layerByLayer) {
    try (var graph = new Graph()) {
      var cnn = new MnistCnn(graph, 1);
      var loss = cnn.training(1e-4f, Loss.ORIGINAL).crossEntropy();
      java.util.List<org.tensorflow.Output<?>> gradients;
      if (layerByLayer) {
        gradients = cnn.gradients(loss);
      } else {
        var variables = GraphNames.VARIABLES.stream()
            .map(name -> graph.operation(name).output(0)).toArray(org.tensorflow.Output<?>[]::new);
        gradients = java.util.List.of(graph.addGradients("whole",
            new org.tensorflow.Output<?>[] {loss.asOutput()}, variables, null));
      }
      try (var session = new org.tensorflow.Session(graph);
          var x = org.tensorflow.types.TFloat32.tensorOf(Shape.of(100, 784),
              org.tensorflow.ndarray.buffer.DataBuffers.of(images, true, false));
          var y = org.tensorflow.types.TFloat32.tensorOf(Shape.of(100, 10),
              org.tensorflow.ndarray.buffer.DataBuffers.of(labels, true, false));
          var keep = org.tensorflow.types.TFloat32.scalarOf(0.5f);
          var seed = org.tensorflow.types.TInt64.vectorOf(1, 7)) {
        session.initialize();
        var runner = session.runner().feed(cnn.xs, x).feed("ys", y).feed(cnn.keepProb, keep)
            .feed(cnn.dropoutSeed, seed).fetch(loss);
        gradients.forEach(runner::fetch);
        runner.setOptions(org.tensorflow.proto.RunOptions.newBuilder()
            .setOutputPartitionGraphs(true).build());
        try (var result = runner.runAndFetchMetadata()) {
          var values = new java.util.ArrayList<float[]>();
          for (int i = 0; i < result.size(); i++) {
            var tensor = (org.tensorflow.types.TFloat32) result.get(i);
            var copy = new float[(int) tensor.shape().size()];
            tensor.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(copy, false, false));
            values.add(copy);
          }
          long fused = result.getMetadata().orElseThrow().getPartitionGraphsList().stream()
              .flatMap(g -> g.getNodeList().stream())
              .filter(node -> node.getOp().contains("Fused") && node.getOp().contains("Conv2D")
                  || node.getOp().contains("FusedMatMul") && !node.getName().equals("logits"))
              .count();
          return new Gradients(values, fused);
        }
      }
    }
  }
}
