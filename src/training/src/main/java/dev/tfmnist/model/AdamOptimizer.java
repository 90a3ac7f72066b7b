package dev.tfmnist.model;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * TF1's {@code tf.train.AdamOptimizer(learning_rate).minimize(loss)}: one ApplyAdam per variable,
 * then the beta powers advance. Slots carry TF1's names ({@code conv1/weights/Adam},
 * {@code conv1/weights/Adam_1}, {@code beta1_power}, {@code beta2_power}), so a whole training
 * state checkpointed here reads in Python under the names TF1 gives it.
 *
 * <p>Why not tensorflow-framework's {@code Adam}: it names slots {@code <variable>-m}, which its own
 * name check rejects as soon as the variable lives in a scope such as {@code conv1/}.
 */
public final class AdamOptimizer {
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-8f;

  private AdamOptimizer() {}

  /**
   * Adds the update of the model's variables ({@link GraphNames#VARIABLES}, in that order) by
   * {@code gradients}, given in the same order.
   */
  public static Op apply(Graph graph, List<Output<?>> gradients, float learningRate, String name) {
    var tf = Ops.create(graph);
    var variables = new ArrayList<Output<TFloat32>>();
    for (String variableName : GraphNames.VARIABLES) {
      @SuppressWarnings("unchecked")
      var variable = (Output<TFloat32>) (Output<?>) graph.operation(variableName).output(0);
      variables.add(variable);
    }
    if (gradients.size() != variables.size()) {
      throw new IllegalArgumentException(variables.size() + " gradients expected, got "
          + gradients.size());
    }

    var beta1Power = NamedVariable.create(graph, tf, "beta1_power", tf.constant(BETA1));
    var beta2Power = NamedVariable.create(graph, tf, "beta2_power", tf.constant(BETA2));
    // Updates write the variables in place, and some gradients read those variables (the fc1
    // gradient reads fc2/weights): every update waits for every gradient, or steps are not
    // reproducible.
    var adam = tf.withSubScope("Adam").withControlDependencies(gradients.stream().<Op>map(g -> g).toList());
    var updates = new ArrayList<Op>();
    for (int i = 0; i < variables.size(); i++) {
      Output<TFloat32> variable = variables.get(i);
      @SuppressWarnings("unchecked")
      var gradient = (Output<TFloat32>) gradients.get(i);
      String slot = variable.op().name() + "/Adam";
      var m = NamedVariable.create(graph, tf, slot, tf.zerosLike(variable));
      var v = NamedVariable.create(graph, tf, slot + "_1", tf.zerosLike(variable));
      updates.add(adam.train.applyAdam(variable, m, v, beta1Power, beta2Power,
          tf.constant(learningRate), tf.constant(BETA1), tf.constant(BETA2), tf.constant(EPSILON),
          gradient));
    }
    var afterUpdates = adam.withControlDependencies(updates);
    var advance1 = afterUpdates.assign(beta1Power, tf.math.mul(beta1Power, tf.constant(BETA1)));
    var advance2 = afterUpdates.assign(beta2Power, tf.math.mul(beta2Power, tf.constant(BETA2)));
    return tf.withControlDependencies(List.of(advance1, advance2)).withName(name).noOp();
  }

}
