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
}
