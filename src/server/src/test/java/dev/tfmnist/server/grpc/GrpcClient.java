package dev.tfmnist.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfmnist.server.grpc.api.ModelServiceGrpc;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.PredictRequest;
import dev.tfmnist.server.api.PredictResponse;
import dev.tfmnist.server.grpc.api.PredictionServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** A gRPC client over loopback with TF Serving's stubs, as its Java users write one. */
public final class GrpcClient implements AutoCloseable {
  private final ManagedChannel channel;
  public final PredictionServiceGrpc.PredictionServiceBlockingStub predictions;
  public final ModelServiceGrpc.ModelServiceBlockingStub models;

  public GrpcClient(InetSocketAddress address) {
    channel = NettyChannelBuilder.forAddress(address).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    predictions = PredictionServiceGrpc.newBlockingStub(channel);
    models = ModelServiceGrpc.newBlockingStub(channel);
  }

  /** A float32 tensor in tensor_content, as tf.make_tensor_proto writes a numpy array. */
  public static TensorProto floats(float[] values, long... shape) {
    var bytes = java.nio.ByteBuffer.allocate(values.length * 4)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(shape))
        .setTensorContent(ByteString.copyFrom(bytes.array())).build();
  }

  public static TensorShapeProto shape(long... dims) {
    var shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return shape.build();
  }

  public static PredictRequest request(ModelSpec spec, Map<String, TensorProto> inputs) {
    var request = PredictRequest.newBuilder().setModelSpec(spec);
    inputs.forEach((k, v) -> request.putInputs(k, v.toByteString()));
    return request.build();
  }

  public static TensorProto output(PredictResponse response, String key) {
    try {
      return TensorProto.parseFrom(response.getOutputsOrThrow(key));
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("output " + key + " is not a TensorProto", e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }
}
