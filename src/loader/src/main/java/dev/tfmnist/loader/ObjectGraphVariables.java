package dev.tfmnist.loader;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedConcreteFunction;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObjectGraph;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TString;

/**
 * Restores the variables of a TF2 SavedModel that its signatures read but TensorFlow's C++ loader
 * left uninitialized, by the model's own object graph.
 *
 * <p>The C++ loader (what TensorFlow Java and TensorFlow Serving run) restores the variables its
 * saver names, then runs the init op. A Keras 3 model saved inside a {@code tf.Module} has each
 * variable twice in the graph: the saver restores one copy, the signatures read the other, and the
 * first call fails with "Could not find variable ...". Python's {@code tf.saved_model.load} works
 * because it rebuilds variables from the object graph. This does the same for what the signatures
 * read, with no name matching:
 *
 * <ol>
 *   <li>Each signature output leads back, through the GraphDef, to the call op of a concrete
 *       function of the SavedObjectGraph; that call's last {@code bound_inputs.size()} inputs are
 *       the function's captures, in {@code bound_inputs} order: each names an object-graph node.
 *   <li>Object-graph nodes and the checkpoint's own object graph ({@code
 *       _CHECKPOINTABLE_OBJECT_GRAPH} in the variables file) are paired by walking both from their
 *       roots along children of the same local name; a variable node's checkpoint key is its
 *       {@code VARIABLE_VALUE} attribute.
 *   <li>Every captured variable handle that is not initialized gets its checkpoint value
 *       (RestoreV2, then AssignVariableOp) in the bundle's own session.
 * </ol>
 *
 * TF1-style SavedModels (no object graph) and models the loader restored completely are left as
 * they are.
 */
final class ObjectGraphVariables {
  static final String OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH";
  private static final String VARIABLE_VALUE = "VARIABLE_VALUE";
  private static final String INIT_OP_SIGNATURE = "__saved_model_init_op";

  /** A variable a signature reads: the graph tensor of its handle and its checkpoint entry. */
  record Capture(String handle, String checkpointKey, DataType dtype, int node) {}

  private ObjectGraphVariables() {}

  /**
   * Restores what the loader left uninitialized; returns how many variables that was.
   *
   * @throws IllegalStateException naming the variable when the checkpoint cannot provide it
   */
  static int restoreMissing(SavedModelBundle bundle, Path exportDir) {
    MetaGraphDef metaGraph = bundle.metaGraphDef();
    Path prefix = exportDir.resolve("variables").resolve("variables");
    if (metaGraph.getObjectGraphDef().getNodesCount() == 0
        || !Files.isRegularFile(Path.of(prefix + ".index"))) {
      return 0;
    }
    Graph graph = bundle.graph();
    Session session = bundle.session();
    Ops tf = Ops.create(graph).withSubScope("object_graph_restore");
    List<Capture> missing = uninitialized(tf, session, captures(metaGraph, () ->
        checkpointGraph(tf, session, prefix.toString())));
    if (missing.isEmpty()) {
      return 0;
    }
    List<Output<?>> values = restore(tf, prefix.toString(),
        missing.stream().map(Capture::checkpointKey).toList(),
        missing.stream().map(Capture::dtype).toList());
    Session.Runner runner = session.runner();
    for (int i = 0; i < missing.size(); i++) {
      Capture capture = missing.get(i);
      runner.addTarget(graph.opBuilder("AssignVariableOp",
              tf.scope().makeOpName("AssignVariableOp"), tf.scope())
          .addInput(graph.outputOrThrow(capture.handle()))
          .addInput(values.get(i))
          .setAttr("dtype", capture.dtype())
          .build());
    }
    runner.run().close();
    return missing.size();
  }

  /** The checkpoint's object graph, read with a RestoreV2 in the bundle's session. */
  private static TrackableObjectGraph checkpointGraph(Ops tf, Session session, String prefix) {
    Output<?> serialized = restore(tf, prefix, List.of(OBJECT_GRAPH_KEY), List.of(DataType.DT_STRING))
        .get(0);
    try (Result result = session.runner().fetch(serialized).run()) {
      return TrackableObjectGraph.parseFrom(((TString) result.get(0)).asBytes().getObject());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the checkpoint's " + OBJECT_GRAPH_KEY + " is corrupt", e);
    }
  }

  /** The checkpoint's object graph, read only when some signature captures a variable. */
  interface CheckpointGraph {
    TrackableObjectGraph read();
  }

  /** Every variable the signatures capture, by handle tensor, with its checkpoint entry. */
  static List<Capture> captures(MetaGraphDef metaGraph, CheckpointGraph checkpoint) {
    SavedObjectGraph objects = metaGraph.getObjectGraphDef();
    Map<String, NodeDef> nodes = new HashMap<>();
    metaGraph.getGraphDef().getNodeList().forEach(node -> nodes.put(node.getName(), node));

    Map<String, Integer> capturedNodes = new LinkedHashMap<>();
    for (Map.Entry<String, SignatureDef> signature : metaGraph.getSignatureDefMap().entrySet()) {
      if (signature.getKey().equals(INIT_OP_SIGNATURE)) {
        continue;
      }
      var todo = new ArrayDeque<String>();
      Set<String> seen = new HashSet<>();
      for (TensorInfo output : signature.getValue().getOutputsMap().values()) {
        todo.add(opName(output.getName()));
      }
      while (!todo.isEmpty()) {
        NodeDef node = nodes.get(todo.poll());
        if (node == null || !seen.add(node.getName())) {
          continue;
        }
        List<String> inputs = node.getInputList().stream().filter(in -> !in.startsWith("^")).toList();
        SavedConcreteFunction function = calledFunction(node, objects);
        int firstCapture = inputs.size();
        if (function != null) {
          firstCapture = inputs.size() - function.getBoundInputsCount();
          for (int k = 0; k < function.getBoundInputsCount(); k++) {
            int objectNode = function.getBoundInputs(k);
            if (objects.getNodes(objectNode).getKindCase() == SavedObject.KindCase.VARIABLE) {
              capturedNodes.putIfAbsent(tensorName(inputs.get(firstCapture + k)), objectNode);
            }
          }
        }
        inputs.subList(0, firstCapture).forEach(in -> todo.add(opName(in)));
      }
    }
    if (capturedNodes.isEmpty()) {
      return List.of();
    }
    TrackableObjectGraph checkpointObjects = checkpoint.read();
    Map<Integer, Integer> paired = pair(objects, checkpointObjects);
    var captures = new ArrayList<Capture>();
    capturedNodes.forEach((handle, node) -> {
      Integer checkpointNode = paired.get(node);
      String key = checkpointNode == null ? null : checkpointObjects.getNodes(checkpointNode)
          .getAttributesList().stream().filter(a -> a.getName().equals(VARIABLE_VALUE))
          .map(TrackableObject.SerializedTensor::getCheckpointKey).findFirst().orElse(null);
      if (key == null) {
        throw new IllegalStateException("the variable read through " + handle
            + " (object " + node + ") has no value in the checkpoint");
      }
      captures.add(new Capture(handle, key, objects.getNodes(node).getVariable().getDtype(), node));
    });
    return captures;
  }

  /**
   * Pairs object-graph node ids with checkpoint object-graph node ids, walking both from the root
   * along children of the same local name (as TensorFlow's own SavedModel readers do).
   */
  static Map<Integer, Integer> pair(SavedObjectGraph objects, TrackableObjectGraph checkpoint) {
    Map<Integer, Integer> paired = new HashMap<>();
    var todo = new ArrayDeque<int[]>();
    todo.add(new int[] {0, 0});
    Set<Integer> seen = new HashSet<>(Set.of(0));
    while (!todo.isEmpty()) {
      int[] pair = todo.poll();
      paired.put(pair[0], pair[1]);
      Map<String, Integer> children = new HashMap<>();
      objects.getNodes(pair[0]).getChildrenList()
          .forEach(child -> children.putIfAbsent(child.getLocalName(), child.getNodeId()));
      for (TrackableObject.ObjectReference child : checkpoint.getNodes(pair[1]).getChildrenList()) {
        Integer objectChild = children.get(child.getLocalName());
        if (objectChild != null && seen.add(child.getNodeId())) {
          todo.add(new int[] {objectChild, child.getNodeId()});
        }
      }
    }
    return paired;
  }

  private static List<Capture> uninitialized(Ops tf, Session session, List<Capture> captures) {
    if (captures.isEmpty()) {
      return captures;
    }
    Graph graph = (Graph) tf.scope().env();
    Session.Runner runner = session.runner();
    for (Capture capture : captures) {
      runner.fetch(((GraphOperation) graph.opBuilder("VarIsInitializedOp",
              tf.scope().makeOpName("VarIsInitializedOp"), tf.scope())
          .addInput(graph.outputOrThrow(capture.handle()))
          .build()).output(0));
    }
    var missing = new ArrayList<Capture>();
    try (Result result = runner.run()) {
      for (int i = 0; i < captures.size(); i++) {
        if (!((TBool) result.get(i)).getBoolean()) {
          missing.add(captures.get(i));
        }
      }
    }
    return missing;
  }

  private static List<Output<?>> restore(Ops tf, String prefix, List<String> keys,
      List<DataType> dtypes) {
    Graph graph = (Graph) tf.scope().env();
    String[] slices = new String[keys.size()];
    Arrays.fill(slices, "");
    Operand<TString> prefixOperand = tf.constant(prefix);
    GraphOperation op = graph.opBuilder("RestoreV2", tf.scope().makeOpName("RestoreV2"), tf.scope())
        .addInput(prefixOperand.asOutput())
        .addInput(tf.constant(StandardCharsets.UTF_8, keys.toArray(String[]::new)).asOutput())
        .addInput(tf.constant(StandardCharsets.UTF_8, slices).asOutput())
        .setAttr("dtypes", dtypes.toArray(DataType[]::new))
        .build();
    var outputs = new ArrayList<Output<?>>();
    for (int i = 0; i < keys.size(); i++) {
      outputs.add(op.output(i));
    }
    return outputs;
  }

  /** The concrete function of the object graph that {@code node} calls, if any. */
  private static SavedConcreteFunction calledFunction(NodeDef node, SavedObjectGraph objects) {
    for (AttrValue value : node.getAttrMap().values()) {
      if (value.hasFunc() && objects.containsConcreteFunctions(value.getFunc().getName())) {
        return objects.getConcreteFunctionsOrThrow(value.getFunc().getName());
      }
    }
    return null;
  }

  private static String opName(String input) {
    String name = input.startsWith("^") ? input.substring(1) : input;
    int colon = name.indexOf(':');
    return colon < 0 ? name : name.substring(0, colon);
  }

  private static String tensorName(String input) {
    return input.indexOf(':') < 0 ? input + ":0" : input;
  }
}
