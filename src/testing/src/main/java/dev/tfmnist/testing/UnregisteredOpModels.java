package dev.tfmnist.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.io.FileUtils;
import org.apache.commons.io.file.PathUtils;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedModel;

/**
 * SavedModels that use an op this TensorFlow does not have, as models using tensorflow-text's
 * ops are until its library is loaded: in the graph itself, or hidden in a function.
 */
public final class UnregisteredOpModels {
  private static Path unregisteredOpModel;
  private static Path unregisteredOpInFunctionModel;

  private UnregisteredOpModels() {}

  /**
   * {@link TestModels#TestModels.identityModel()} with its op {@code f32_out} turned into {@code
   * NoSuchOpInThisTensorFlow}: a model whose graph uses an op that this TensorFlow does not have,
   * as models using tensorflow-text's ops are until its library is loaded.
   */
  public static synchronized Path inGraph() {
    if (unregisteredOpModel == null) {
      Path dir = TestModels.workDir().resolve("unregistered-op").resolve("1");
      try {
        Files.createDirectories(dir);
        PathUtils.copyDirectory(TestModels.identityModel(), dir);
        Path pb = dir.resolve("saved_model.pb");
        var savedModel = SavedModel.parseFrom(Files.readAllBytes(pb)).toBuilder();
        var graph = savedModel.getMetaGraphsBuilder(0).getGraphDefBuilder();
        for (int i = 0; i < graph.getNodeCount(); i++) {
          if (graph.getNode(i).getName().equals("f32_out")) {
            graph.setNode(i, graph.getNode(i).toBuilder().setOp(OP));
          }
        }
        Files.write(pb, savedModel.build().toByteArray());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      unregisteredOpModel = dir;
    }
    return unregisteredOpModel;
  }

  /** The op type {@link #inGraph()} uses. */
  public static final String OP = "NoSuchOpInThisTensorFlow";

  /**
   * {@link TestModels#TestModels.identityModel()} with its op {@code f32_out} turned into a call of the function {@code
   * __inference_serve_215}, whose body uses {@link #OP}: the shape of a Keras export
   * using tensorflow-text's ops, where the op hides in the function library rather than in the
   * graph. Loading it is what makes TensorFlow's MLIR bridge log a native line ({@code
   * mlir_bridge_pass_util.cc ... Failed to parse __inference_serve_215: Op type not registered})
   * through absl, which {@code TF_CPP_MIN_LOG_LEVEL} does not govern.
   */
  public static synchronized Path inFunction() {
    if (unregisteredOpInFunctionModel == null) {
      Path dir = TestModels.workDir().resolve("unregistered-op-in-function").resolve("1");
      try {
        FileUtils.copyDirectory(TestModels.identityModel().toFile(), dir.toFile());
        Path pb = dir.resolve("saved_model.pb");
        var savedModel = SavedModel.parseFrom(Files.readAllBytes(pb)).toBuilder();
        var graph = savedModel.getMetaGraphsBuilder(0).getGraphDefBuilder();
        String function = "__inference_serve_215";
        var floatType = AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();
        var floatList = AttrValue.newBuilder()
            .setList(AttrValue.ListValue.newBuilder().addType(DataType.DT_FLOAT)).build();
        graph.getLibraryBuilder().addFunction(FunctionDef.newBuilder()
            .setSignature(OpDef.newBuilder().setName(function)
                .addInputArg(OpDef.ArgDef.newBuilder().setName("x").setType(DataType.DT_FLOAT))
                .addOutputArg(OpDef.ArgDef.newBuilder().setName("y").setType(DataType.DT_FLOAT)))
            .addNodeDef(NodeDef.newBuilder().setName("fold").setOp(OP).addInput("x")
                .putAttr("T", floatType))
            .putRet("y", "fold:output:0"));
        for (int i = 0; i < graph.getNodeCount(); i++) {
          var node = graph.getNode(i);
          if (node.getName().equals("f32_out")) {
            graph.setNode(i, node.toBuilder().setOp("StatefulPartitionedCall").clearAttr()
                .putAttr("Tin", floatList).putAttr("Tout", floatList)
                .putAttr("f", AttrValue.newBuilder()
                    .setFunc(NameAttrList.newBuilder().setName(function)).build()));
          }
        }
        Files.write(pb, savedModel.build().toByteArray());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      unregisteredOpInFunctionModel = dir;
    }
    return unregisteredOpInFunctionModel;
  }
}
