package dev.tfmnist.model;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * A float variable with an exact, scoped name such as {@code conv1/weights}. Ops' name scopes
 * would make a reused scope unique ({@code conv1_1/...}) and refuse a '/' in a name; checkpoint
 * exchange with Python needs the names exactly as TF1 wrote them.
 */
final class NamedVariable {
  private NamedVariable() {}

  /** A VariableV2 named {@code name}, assigned {@code initialValue} by the graph's initializers. */
  static Output<TFloat32> create(Graph graph, Ops tf, String name, Operand<TFloat32> initialValue) {
    var op = graph.opBuilder("VariableV2", name, tf.scope().withInitScope())
        .setAttr("shape", initialValue.shape())
        .setAttr("dtype", DataType.DT_FLOAT)
        .build();
    Output<TFloat32> variable = op.output(0);
    tf.withInitScope().assign(variable, initialValue);
    return variable;
  }
}
