package dev.tfmnist.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.InferenceService;
import dev.tfmnist.server.ModelInfoService;
import dev.tfmnist.server.ServingCore;
import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.api.ClassificationRequest;
import dev.tfmnist.server.api.GetModelMetadataRequest;
import dev.tfmnist.server.api.GetModelStatusRequest;
import dev.tfmnist.server.api.MultiInferenceRequest;
import dev.tfmnist.server.api.PredictRequest;
import dev.tfmnist.server.api.PredictResponse;
import dev.tfmnist.server.api.RegressionRequest;
import dev.tfmnist.server.api.ReloadConfigRequest;
import dev.tfmnist.server.grpc.api.ModelServiceGrpc;
import dev.tfmnist.server.grpc.api.PredictionServiceGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * TensorFlow Serving's gRPC services over the serving core: PredictionService (Predict, Classify,
 * Regress, MultiInference, GetModelMetadata) and ModelService (GetModelStatus,
 * HandleReloadConfigRequest). Each method parses its request, calls one core service and sends
 * the answer, or the gRPC status of the core's error code.
 *
 * <p>Requests arrive as bytes and are parsed here rather than by gRPC's marshaller: a message
 * that does not decode gets INVALID_ARGUMENT naming the method, and one rate-limited log line,
 * where gRPC's own parsing answers UNKNOWN and logs a stack trace per message.
 */
final class GrpcApi {
  private static final String ENTRYPOINT = "GRPC";

  /** A message's bytes as they came; the handlers parse requests themselves. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();  // the transport has enforced the size limit
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private final ServingCore core;
  private final InferenceService inference;
  private final ModelInfoService info;

  GrpcApi(ServingCore core) {
    this.core = core;
    this.inference = new InferenceService(core);
    this.info = new ModelInfoService(core);
  }

  ServerServiceDefinition predictionService() {
    return ServerServiceDefinition.builder(PredictionServiceGrpc.SERVICE_NAME)
        .addMethod(unary(PredictionServiceGrpc.getPredictMethod(), PredictRequest.parser(),
            "predict", this::predict))
        .addMethod(unary(PredictionServiceGrpc.getClassifyMethod(),
            ClassificationRequest.parser(), "classify", inference::classify))
        .addMethod(unary(PredictionServiceGrpc.getRegressMethod(), RegressionRequest.parser(),
            "regress", inference::regress))
        .addMethod(unary(PredictionServiceGrpc.getMultiInferenceMethod(),
            MultiInferenceRequest.parser(), "multi_inference", inference::multiInference))
        .addMethod(unary(PredictionServiceGrpc.getGetModelMetadataMethod(),
            GetModelMetadataRequest.parser(), "metadata", info::metadata))
        .build();
  }

  ServerServiceDefinition modelService() {
    return ServerServiceDefinition.builder(ModelServiceGrpc.SERVICE_NAME)
        .addMethod(unary(ModelServiceGrpc.getGetModelStatusMethod(),
            GetModelStatusRequest.parser(), "status", info::status))
        .addMethod(unary(ModelServiceGrpc.getHandleReloadConfigRequestMethod(),
            ReloadConfigRequest.parser(), "reload_config", info::reloadConfig))
        .build();
  }

  /**
   * One unary method: its request parsed from bytes, the call counted and timed under {@code
   * api}, answered with what {@code handler} returns or the status of what it threw.
   */
  private <Q, R> ServerMethodDefinition<byte[], R> unary(MethodDescriptor<Q, R> method,
      Parser<Q> parser, String api, BiFunction<ServingCore.Call, Q, R> handler) {
    MethodDescriptor<byte[], R> raw =
        method.toBuilder(BYTES, method.getResponseMarshaller()).build();
    return ServerMethodDefinition.create(raw, ServerCalls.asyncUnaryCall((bytes, answer) -> {
      try (var call = core.begin(api, ENTRYPOINT)) {
        Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
          call.deadlineWithin(deadline.timeRemaining(TimeUnit.NANOSECONDS));
        }
        R response;
        try {
          response = handler.apply(call, parse(method, parser, bytes));
        } catch (RuntimeException e) {
          answer.onError(status(call.failed(e)));
          return;
        }
        answer.onNext(response);
        answer.onCompleted();
      }
    }));
  }

  private <Q> Q parse(MethodDescriptor<Q, ?> method, Parser<Q> parser, byte[] bytes) {
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      String type = method.getRequestMarshaller()
          instanceof MethodDescriptor.PrototypeMarshaller<?> proto
          && proto.getMessagePrototype() instanceof Message message
          ? message.getDescriptorForType().getFullName() : "request message";
      String what = method.getBareMethodName() + ": the request is not a valid " + type + " ("
          + e.getMessage().strip() + ")";
      core.failures().clientError("gRPC " + method.getFullMethodName()
          + ": undecodable requests", what);
      throw ServingException.invalidArgument(what);
    }
  }

  private PredictResponse predict(ServingCore.Call call, PredictRequest request) {
    var result = inference.predict(call, request.getModelSpec(), signature -> {
      var inputs = new LinkedHashMap<String, TensorValue>();
      for (Map.Entry<String, ByteString> e : request.getInputsMap().entrySet()) {
        inputs.put(e.getKey(), TensorProtos.fromBytes(e.getKey(), e.getValue()));
      }
      return inputs;
    }, request.getOutputFilterList());
    var response = PredictResponse.newBuilder().setModelSpec(result.spec());
    result.prediction().outputs().forEach((name, value) ->
        response.putOutputs(name, TensorProtos.toProto(value).toByteString()));
    return response.build();
  }

  /** The one place where the core's error codes become gRPC statuses: the same names. */
  private static StatusRuntimeException status(ServingException e) {
    return Status.fromCode(Status.Code.valueOf(e.code().name()))
        .withDescription(e.getMessage())
        .asRuntimeException();
  }
}
