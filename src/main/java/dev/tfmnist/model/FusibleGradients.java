package dev.tfmnist.model;

import java.util.HashMap;
import java.util.Map;
import org.tensorflow.proto.GraphDef;

/**
 * Moves two kinds of gradient edges of a training graph so that TensorFlow's graph optimizer
 * (Grappler's remapper) can fuse each Conv2D/MatMul with its bias Add and Relu, as it does for the
 * same graph built in Python. The values computed do not change, bit for bit; a training step gets
 * 5-9% faster on CPU (measured in issue 6's bench).
 *
 * <p>Why the fusion is missing without it: TensorFlow Java builds gradients with TensorFlow's C++
 * gradient functions, which read the pre-activation tensors: the bias Add's gradient takes {@code
 * Shape} of the Conv2D/MatMul output, and {@code ReluGrad} reads the Relu's input. The remapper
 * fuses only when the Conv2D/MatMul and Add outputs have no other consumer. Python's gradient
 * functions read neither, so there the fusion happens.
 *
 * <p>Why the moved edges give the same values: the bias Add does not broadcast the
 * Conv2D/MatMul output (the bias is [C], the output [..., C]), so the Add and the Relu have that
 * output's shape; and {@code relu(x) > 0} exactly where {@code x > 0}, which is all ReluGrad reads
 * of its second input.
 */
public final class FusibleGradients {

  /** The rewritten graph and how many edges were moved (0 when the graph had none to move). */
  public record Rewrite(GraphDef graphDef, int shapeEdges, int reluGradEdges) {}

  /** Returns {@code graphDef} with the edges moved; the input is not modified. */
  public static Rewrite rewrite(GraphDef graphDef) {
    Map<String, String> opOf = new HashMap<>();
    Map<String, String> reluOf = new HashMap<>();  // Relu input -> Relu
    for (var node : graphDef.getNodeList()) {
      opOf.put(node.getName(), node.getOp());
      if (node.getOp().equals("Relu")) {
        reluOf.put(tensor(node.getInput(0)), node.getName());
      }
    }
    // Conv2D/MatMul -> the last op of its Add (+ Relu) chain, whose shape equals its own
    Map<String, String> chainEnd = new HashMap<>();
    for (var node : graphDef.getNodeList()) {
      if (node.getOp().equals("Add") || node.getOp().equals("AddV2")) {
        String contraction = tensor(node.getInput(0));
        String op = opOf.get(contraction);
        if ("Conv2D".equals(op) || "MatMul".equals(op)) {
          chainEnd.put(contraction, reluOf.getOrDefault(node.getName(), node.getName()));
        }
      }
    }
    var builder = graphDef.toBuilder();
    int shapes = 0;
    int reluGrads = 0;
    for (var node : builder.getNodeBuilderList()) {
      if (node.getOp().equals("Shape") && chainEnd.containsKey(tensor(node.getInput(0)))) {
        node.setInput(0, chainEnd.get(tensor(node.getInput(0))));
        shapes++;
      } else if (node.getOp().equals("ReluGrad") && reluOf.containsKey(tensor(node.getInput(1)))) {
        node.setInput(1, reluOf.get(tensor(node.getInput(1))));
        reluGrads++;
      }
    }
    return new Rewrite(builder.build(), shapes, reluGrads);
  }

  /** {@code "op"} and {@code "op:0"} name the same tensor; control inputs stay distinct. */
  private static String tensor(String input) {
    return input.endsWith(":0") ? input.substring(0, input.length() - 2) : input;
  }

  private FusibleGradients() {}
}
