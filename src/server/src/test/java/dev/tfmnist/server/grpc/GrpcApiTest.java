package dev.tfmnist.server.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.api.ClassificationRequest;
import dev.tfmnist.server.api.GetModelMetadataRequest;
import dev.tfmnist.server.api.GetModelStatusRequest;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.PredictResponse;
import dev.tfmnist.server.api.SignatureDefMap;
import dev.tfmnist.testing.TestModels;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorProto;

/**
 * The gRPC API with TF Serving's message definitions over loopback: every dtype the REST API
 * handles, in both encodings clients send, and the status codes TF Serving answers with.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcApiTest {
  private static final ModelSpec ECHO = ModelSpec.newBuilder().setName("echo").build();

  private LoadedModel echo;
  private LoadedModel forms;
  private ModelServer echoServer;
  private ModelServer formsServer;
  private GrpcClient client;
  private GrpcClient formsClient;

  @BeforeAll
  void start() throws Exception {
    echo = LoadedModel.load(TestModels.identityModel());
    forms = LoadedModel.load(TestModels.inputFormsModel());
    echoServer = ModelServer.builder(echo).name("echo").port(0).grpcPort(0).batching(null)
        .warmUp(false).start();
    formsServer = ModelServer.builder(forms).name("forms").port(0).grpcPort(0).warmUp(false)
        .start();
    client = new GrpcClient(echoServer.grpcAddress().orElseThrow());
    formsClient = new GrpcClient(formsServer.grpcAddress().orElseThrow());
  }

  @AfterAll
  void stop() throws Exception {
    client.close();
    formsClient.close();
    echoServer.close();
    formsServer.close();
    echo.close();
    forms.close();
  }

  /** The echo model's seven inputs, two rows each, in the typed *_val fields. */
  private static Map<String, TensorProto> typedInputs() {
    var inputs = new LinkedHashMap<String, TensorProto>();
    inputs.put("f32", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(GrpcClient.shape(2, 2)).addFloatVal(0.5f).addFloatVal(-1.25f)
        .addFloatVal(Float.POSITIVE_INFINITY).addFloatVal(Float.NaN).build());
    inputs.put("f64", TensorProto.newBuilder().setDtype(DataType.DT_DOUBLE)
        .setTensorShape(GrpcClient.shape(2)).addDoubleVal(0.1).addDoubleVal(-1e300).build());
    inputs.put("i32", TensorProto.newBuilder().setDtype(DataType.DT_INT32)
        .setTensorShape(GrpcClient.shape(2)).addIntVal(-7).addIntVal(Integer.MAX_VALUE).build());
    inputs.put("i64", TensorProto.newBuilder().setDtype(DataType.DT_INT64)
        .setTensorShape(GrpcClient.shape(2)).addInt64Val(9007199254740993L)
        .addInt64Val(Long.MIN_VALUE).build());
    inputs.put("u8", TensorProto.newBuilder().setDtype(DataType.DT_UINT8)
        .setTensorShape(GrpcClient.shape(2)).addIntVal(255).addIntVal(0).build());
    inputs.put("flag", TensorProto.newBuilder().setDtype(DataType.DT_BOOL)
        .setTensorShape(GrpcClient.shape(2)).addBoolVal(true).addBoolVal(false).build());
    inputs.put("text", TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(GrpcClient.shape(2)).addStringVal(ByteString.copyFrom(new byte[] {0, 1, 2,
            (byte) 0xff})).addStringVal(ByteString.copyFromUtf8("sieben")).build());
    return inputs;
  }

  /** The same values in tensor_content, as tf.make_tensor_proto writes numbers. */
  private static Map<String, TensorProto> rawInputs() {
    var inputs = new LinkedHashMap<String, TensorProto>();
    typedInputs().forEach((key, typed) -> {
      if (typed.getDtype() == DataType.DT_STRING) {
        inputs.put(key, typed);  // strings have no tensor_content form
        return;
      }
      TensorValue value = TensorProtos.fromProto(key, typed);
      inputs.put(key, TensorProto.newBuilder().setDtype(typed.getDtype())
          .setTensorShape(typed.getTensorShape())
          .setTensorContent(ByteString.copyFrom(littleEndian(value))).build());
    });
    return inputs;
  }

  private static byte[] littleEndian(TensorValue v) {
    var out = java.nio.ByteBuffer.allocate(v.size() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    switch (v.dtype()) {
      case DT_FLOAT -> out.asFloatBuffer().put(v.floats());
      case DT_DOUBLE -> out.asDoubleBuffer().put(v.doubles());
      case DT_INT32 -> out.asIntBuffer().put(v.ints());
      case DT_INT64 -> out.asLongBuffer().put(v.longs());
      case DT_UINT8 -> out.put(v.uint8());
      case DT_BOOL -> {
        for (boolean b : v.booleans()) {
          out.put((byte) (b ? 1 : 0));
        }
      }
      default -> throw new AssertionError(v.dtype());
    }
    int width = switch (v.dtype()) {
      case DT_FLOAT, DT_INT32 -> 4;
      case DT_DOUBLE, DT_INT64 -> 8;
      default -> 1;
    };
    return java.util.Arrays.copyOf(out.array(), v.size() * width);
  }

  @Test
  void everyDtypeComesBackAsSentInEitherEncoding() {
    for (var inputs : java.util.List.of(typedInputs(), rawInputs())) {
      PredictResponse response = client.predictions.predict(GrpcClient.request(ECHO, inputs));
      for (var input : typedInputs().entrySet()) {
        TensorProto out = GrpcClient.output(response, input.getKey() + "_out");
        assertEquals(input.getValue().getDtype(), out.getDtype(), input.getKey());
        assertEquals(input.getValue().getTensorShape(), out.getTensorShape(), input.getKey());
        assertEquals(TensorProtos.fromProto(input.getKey(), input.getValue()),
            TensorProtos.fromProto(input.getKey(), out), input.getKey());
        // answered in the typed fields, as TF Serving answers: clients read float_val directly
        assertTrue(out.getTensorContent().isEmpty(), input.getKey());
      }
      assertEquals(0.5f, GrpcClient.output(response, "f32_out").getFloatVal(0));
      assertEquals(255, GrpcClient.output(response, "u8_out").getIntVal(0));
      assertEquals("sieben", GrpcClient.output(response, "text_out").getStringVal(1)
          .toStringUtf8());
      assertEquals("echo", response.getModelSpec().getName());
      assertEquals(1, response.getModelSpec().getVersion().getValue());
      assertEquals("serving_default", response.getModelSpec().getSignatureName());
    }
  }

  @Test
  void fewerTypedValuesThanTheShapeAreFilledAsTensorFlowFillsThem() {
    var inputs = typedInputs();
    for (var values : List.of(List.of(3f), List.of(1f, 2f, 3f), List.<Float>of())) {
      inputs.put("f32", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
          .setTensorShape(GrpcClient.shape(2, 2)).addAllFloatVal(values).build());
      TensorProto out = GrpcClient.output(
          client.predictions.predict(GrpcClient.request(ECHO, inputs)), "f32_out");
      var expected = values.isEmpty() ? List.of(0f, 0f, 0f, 0f)  // none: zeros
          : values.size() == 1 ? List.of(3f, 3f, 3f, 3f)  // one: everywhere
          : List.of(1f, 2f, 3f, 3f);  // some: the last one repeated
      assertEquals(expected, out.getFloatValList(), values.toString());
    }
  }

  @Test
  void shapesTooLargeOrContentOfTheWrongLengthAreRefusedBeforeAnythingIsAllocated() {
    var huge = typedInputs();
    huge.put("f32", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(GrpcClient.shape(3037000500L, 3037000500L))
        .setTensorContent(ByteString.copyFrom(new byte[4])).build());
    assertEquals("input f32 has shape [3037000500, 3037000500], too many elements for one"
        + " request", description(() -> client.predictions.predict(GrpcClient.request(ECHO, huge))));
    var short1 = typedInputs();
    short1.put("f32", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(GrpcClient.shape(2000000000L, 1))
        .setTensorContent(ByteString.copyFrom(new byte[1])).build());
    assertEquals("input f32 has 1 bytes of tensor_content; its shape needs 8000000000",
        description(() -> client.predictions.predict(GrpcClient.request(ECHO, short1))));
  }

  @Test
  void float16ImagesClassifyAsFloat32OnesDo() {
    float[] images = TestModels.testImages(0, 3);
    short[] bits = new short[images.length];
    var halves = org.tensorflow.ndarray.buffer.layout.DataLayouts.FLOAT16.applyTo(
        org.tensorflow.ndarray.buffer.DataBuffers.of(bits, false, false));
    halves.write(images);
    var half = TensorProto.newBuilder().setDtype(DataType.DT_HALF)
        .setTensorShape(GrpcClient.shape(3, 784));
    for (short b : bits) {
      half.addHalfVal(b & 0xffff);
    }
    var spec = ModelSpec.newBuilder().setName("forms").setSignatureName("half").build();
    TensorProto probs = GrpcClient.output(formsClient.predictions.predict(
        GrpcClient.request(spec, Map.of("images", half.build()))), "probs");
    float[] expected = forms.predictor("half").predict(TensorValue.ofFloats(DataType.DT_HALF,
        Shape.of(3, 784), images)).output("probs").floats();
    float[] actual = new float[expected.length];
    for (int i = 0; i < actual.length; i++) {
      actual[i] = probs.getFloatVal(i);
    }
    assertArrayEquals(expected, actual);
  }

  @Test
  void bfloat16AndFloat16RoundTripThroughHalfVal() {
    for (DataType dtype : new DataType[] {DataType.DT_HALF, DataType.DT_BFLOAT16}) {
      var value = TensorValue.ofFloats(dtype, Shape.of(3), new float[] {1.5f, -2f, 0.25f});
      TensorProto proto = TensorProtos.toProto(value);
      assertEquals(3, proto.getHalfValCount());
      assertEquals(value, TensorProtos.fromProto("x", proto), dtype.name());
    }
  }

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  private static String description(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getDescription();
  }

  @Test
  void errorsAreTfServingsStatusCodes() {
    var wrongCount = typedInputs();
    wrongCount.put("f32", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(GrpcClient.shape(2, 2)).addAllFloatVal(List.of(1f, 2f, 3f, 4f, 5f))
        .build());
    assertEquals("input f32 has 5 values; its shape holds 4", description(
        () -> client.predictions.predict(GrpcClient.request(ECHO, wrongCount))));
    var wrongDtype = typedInputs();
    wrongDtype.put("f64", typedInputs().get("f32"));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> client.predictions.predict(GrpcClient.request(ECHO, wrongDtype))));
    var badBytes = typedInputs();
    var request = GrpcClient.request(ECHO, badBytes).toBuilder()
        .putInputs("f32", ByteString.copyFromUtf8("\u00ff\u00ff not a proto")).build();
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.predictions.predict(request)));

    var otherModel = ModelSpec.newBuilder().setName("mnist").build();
    assertEquals("Servable not found for request: Latest(mnist)", description(
        () -> client.predictions.predict(GrpcClient.request(otherModel, typedInputs()))));
    var version7 = ECHO.toBuilder().setVersion(Int64Value.of(7)).build();
    assertEquals(Status.Code.NOT_FOUND, code(
        () -> client.predictions.predict(GrpcClient.request(version7, typedInputs()))));
    var noName = ModelSpec.getDefaultInstance();
    assertEquals(Status.Code.INVALID_ARGUMENT, code(
        () -> client.predictions.predict(GrpcClient.request(noName, typedInputs()))));
    var noSignature = ECHO.toBuilder().setSignatureName("classify").build();
    assertEquals(Status.Code.FAILED_PRECONDITION, code(
        () -> client.predictions.predict(GrpcClient.request(noSignature, typedInputs()))));
    // seven inputs: no classification signature
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.predictions.classify(
        ClassificationRequest.newBuilder().setModelSpec(ECHO).build())));
  }

  @Test
  void metadataIsTheSavedModelsSignatureDefMapAndStatusItsVersion() throws Exception {
    var response = client.predictions.getModelMetadata(GetModelMetadataRequest.newBuilder()
        .setModelSpec(ECHO).addMetadataField("signature_def").build());
    var any = response.getMetadataOrThrow("signature_def");
    assertEquals("type.googleapis.com/tensorflow.serving.SignatureDefMap", any.getTypeUrl());
    var defs = any.unpack(SignatureDefMap.class).getSignatureDefMap();
    assertEquals(echo.metaGraphDef().getSignatureDefMap().keySet(), defs.keySet());
    assertEquals(echo.metaGraphDef().getSignatureDefOrThrow("serving_default"),
        SignatureDef.parseFrom(defs.get("serving_default")));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.predictions.getModelMetadata(
        GetModelMetadataRequest.newBuilder().setModelSpec(ECHO).build())));

    var status = client.models.getModelStatus(GetModelStatusRequest.newBuilder()
        .setModelSpec(ECHO).build());
    assertEquals(1, status.getModelVersionStatusCount());
    assertEquals(1, status.getModelVersionStatus(0).getVersion());
    assertEquals("AVAILABLE", status.getModelVersionStatus(0).getState().name());
    assertEquals(0, status.getModelVersionStatus(0).getStatus().getErrorCodeValue());
  }

  @Test
  void aRequestPastTheServersDeadlineIsDeadlineExceededOverGrpcAnd504OverRest()
      throws Exception {
    try (var strict = ModelServer.builder(echo).name("echo").port(0).grpcPort(0)
        .requestTimeout(Duration.ofNanos(1)).warmUp(false).start();
        var strictClient = new GrpcClient(strict.grpcAddress().orElseThrow())) {
      var thrown = assertThrows(StatusRuntimeException.class,
          () -> strictClient.predictions.predict(GrpcClient.request(ECHO, typedInputs())));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, thrown.getStatus().getCode());
      var rest = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
              .newBuilder(java.net.URI.create(strict.modelUri() + ":predict"))
              .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                  "{\"signature_name\": \"scalar\", \"inputs\": {\"x\": 1.0}}")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(504, rest.statusCode(), rest.body());
      assertTrue(rest.body().contains("Deadline exceeded"), rest.body());
    }
  }
}
