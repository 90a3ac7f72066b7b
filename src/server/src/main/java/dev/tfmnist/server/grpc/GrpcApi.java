package dev.tfmnist.server.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.ExampleTasks;
import dev.tfmnist.server.ExampleTasks.Method;
import dev.tfmnist.server.ServingCore;
import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.grpc.api.ClassificationRequest;
import dev.tfmnist.server.grpc.api.ClassificationResponse;
import dev.tfmnist.server.grpc.api.ClassificationResult;
import dev.tfmnist.server.grpc.api.GetModelMetadataRequest;
import dev.tfmnist.server.grpc.api.GetModelMetadataResponse;
import dev.tfmnist.server.grpc.api.GetModelStatusRequest;
import dev.tfmnist.server.grpc.api.GetModelStatusResponse;
import dev.tfmnist.server.grpc.api.InferenceResult;
import dev.tfmnist.server.grpc.api.InferenceTask;
import dev.tfmnist.server.grpc.api.Input;
import dev.tfmnist.server.grpc.api.ModelServiceGrpc;
import dev.tfmnist.server.grpc.api.ModelSpec;
import dev.tfmnist.server.grpc.api.ModelVersionStatus;
import dev.tfmnist.server.grpc.api.MultiInferenceRequest;
import dev.tfmnist.server.grpc.api.MultiInferenceResponse;
import dev.tfmnist.server.grpc.api.PredictRequest;
import dev.tfmnist.server.grpc.api.PredictResponse;
import dev.tfmnist.server.grpc.api.PredictionServiceGrpc;
import dev.tfmnist.server.grpc.api.RegressionRequest;
import dev.tfmnist.server.grpc.api.RegressionResponse;
import dev.tfmnist.server.grpc.api.RegressionResult;
import dev.tfmnist.server.grpc.api.ReloadConfigRequest;
import dev.tfmnist.server.grpc.api.ReloadConfigResponse;
import dev.tfmnist.server.grpc.api.SignatureDefMap;
import dev.tfmnist.server.grpc.api.StatusProto;
import dev.tfmnist.server.models.ModelConfig;
import dev.tfmnist.server.models.ModelConfigFile;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.Servable;
import dev.tfmnist.server.models.VersionRequest;
import dev.tfmnist.server.models.VersionStatus;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * TensorFlow Serving's gRPC services over a {@link ServingCore}: PredictionService (Predict,
 * Classify, Regress, MultiInference and GetModelMetadata) and ModelService (GetModelStatus,
 * HandleReloadConfigRequest). Failures are the gRPC status of TF Serving's error code.
 */
final class GrpcApi {
  private static final String ENTRYPOINT = "GRPC";
  private static final String SIGNATURE_DEF = "signature_def";

  private final ServingCore core;

  GrpcApi(ServingCore core) {
    this.core = core;
  }

  PredictionServiceGrpc.PredictionServiceImplBase predictionService() {
    return new PredictionServiceGrpc.PredictionServiceImplBase() {
      @Override
      public void predict(PredictRequest request, StreamObserver<PredictResponse> answer) {
        GrpcApi.this.predict(request, answer);
      }

      @Override
      public void getModelMetadata(GetModelMetadataRequest request,
          StreamObserver<GetModelMetadataResponse> answer) {
        GrpcApi.this.metadata(request, answer);
      }

      @Override
      public void classify(ClassificationRequest request,
          StreamObserver<ClassificationResponse> answer) {
        GrpcApi.this.classify(request, answer);
      }

      @Override
      public void regress(RegressionRequest request, StreamObserver<RegressionResponse> answer) {
        GrpcApi.this.regress(request, answer);
      }

      @Override
      public void multiInference(MultiInferenceRequest request,
          StreamObserver<MultiInferenceResponse> answer) {
        GrpcApi.this.multiInference(request, answer);
      }
    };
  }

  ModelServiceGrpc.ModelServiceImplBase modelService() {
    return new ModelServiceGrpc.ModelServiceImplBase() {
      @Override
      public void getModelStatus(GetModelStatusRequest request,
          StreamObserver<GetModelStatusResponse> answer) {
        GrpcApi.this.status(request, answer);
      }

      @Override
      public void handleReloadConfigRequest(ReloadConfigRequest request,
          StreamObserver<ReloadConfigResponse> answer) {
        GrpcApi.this.reloadConfig(request, answer);
      }
    };
  }

  /**
   * Serves the models of the request's config from now on, as TF Serving's ModelServerCore
   * ReloadConfig: answers once every listed model has a version serving, or with the error of
   * the first that has none (INVALID_ARGUMENT for a bad config). Relative base paths are taken
   * from the server's working directory.
   */
  private void reloadConfig(ReloadConfigRequest request,
      StreamObserver<ReloadConfigResponse> answer) {
    handle("reload_config", answer, call -> {
      List<ModelConfig> configs;
      try {
        configs = ModelConfigFile.fromProto(request.getConfig(), Path.of(""),
            "ReloadConfigRequest");
      } catch (ModelConfigFile.InvalidConfigException e) {
        throw ServingException.invalidArgument(e.getMessage());
      }
      ModelManager models = core.models();
      models.reconfigure(configs);
      for (ModelConfig config : configs) {
        if (models.servingVersions(config.name()).isEmpty()) {
          throw new ServingException(ServingException.Code.UNKNOWN, "model " + config.name()
              + " has no version serving: " + models.whyNotServing(config.name()));
        }
      }
      return ReloadConfigResponse.newBuilder()
          .setStatus(StatusProto.newBuilder().setErrorCode(0)).build();
    });
  }

  /**
   * One call of {@code api}: counted and timed, answered with what {@code handler} returns, or
   * with the gRPC status of TF Serving's code for what it threw.
   */
  private <T> void handle(String api, StreamObserver<T> answer,
      Function<ServingCore.Call, T> handler) {
    try (var call = core.begin(api, ENTRYPOINT)) {
      Deadline deadline = Context.current().getDeadline();
      if (deadline != null) {
        call.deadlineWithin(deadline.timeRemaining(TimeUnit.NANOSECONDS));
      }
      T response;
      try {
        response = handler.apply(call);
      } catch (RuntimeException e) {
        answer.onError(status(call.failed(e)));
        return;
      }
      answer.onNext(response);
      answer.onCompleted();
    }
  }

  private void predict(PredictRequest request, StreamObserver<PredictResponse> answer) {
    handle("predict", answer, call -> {
      VersionRequest target = target(request.getModelSpec());
      String key = signatureKey(request.getModelSpec());
      call.describeModel(target.model());
      try (Servable servable = core.models().acquire(target)) {
        Predictor predictor = servable.predictor(key);
        call.describe(servable.name(), key);
        if (request.getOutputFilterCount() > 0) {
          predictor = predictor.withOutputs(
              request.getOutputFilterList().toArray(String[]::new));
        }
        var inputs = new LinkedHashMap<String, TensorValue>();
        for (Map.Entry<String, ByteString> e : request.getInputsMap().entrySet()) {
          inputs.put(e.getKey(), TensorProtos.fromBytes(e.getKey(), e.getValue()));
        }
        Prediction prediction = call.run(predictor, inputs);
        var response = PredictResponse.newBuilder().setModelSpec(spec(servable, key));
        prediction.outputs().forEach((name, value) ->
            response.putOutputs(name, TensorProtos.toProto(value).toByteString()));
        return response.build();
      }
    });
  }

  private void metadata(GetModelMetadataRequest request,
      StreamObserver<GetModelMetadataResponse> answer) {
    handle("metadata", answer, call -> {
      VersionRequest target = target(request.getModelSpec());
      call.describeModel(target.model());
      if (request.getMetadataFieldCount() == 0) {
        throw ServingException.invalidArgument(
            "GetModelMetadataRequest must specify at least one metadata_field");
      }
      for (String field : request.getMetadataFieldList()) {
        if (!field.equals(SIGNATURE_DEF)) {
          throw ServingException.invalidArgument("Metadata field " + field + " is not"
              + " supported; the one metadata field is " + SIGNATURE_DEF);
        }
      }
      try (Servable servable = core.models().acquire(target)) {
        var defs = SignatureDefMap.newBuilder();
        servable.model().metaGraphDef().getSignatureDefMap()
            .forEach((key, def) -> defs.putSignatureDef(key, def.toByteString()));
        return GetModelMetadataResponse.newBuilder()
            .setModelSpec(spec(servable, ""))
            .putMetadata(SIGNATURE_DEF, Any.pack(defs.build()))
            .build();
      }
    });
  }

  private void status(GetModelStatusRequest request,
      StreamObserver<GetModelStatusResponse> answer) {
    handle("status", answer, call -> {
      VersionRequest target = target(request.getModelSpec());
      call.describeModel(target.model());
      var response = GetModelStatusResponse.newBuilder();
      for (VersionStatus version : core.models().status(target)) {
        response.addModelVersionStatus(ModelVersionStatus.newBuilder()
            .setVersion(version.version())
            .setState(ModelVersionStatus.State.valueOf(version.state().name()))
            .setStatus(StatusProto.newBuilder()
                // TensorFlow's error codes: 0 OK, 2 UNKNOWN
                .setErrorCode(version.error().isPresent() ? 2 : 0)
                .setErrorMessage(version.error().orElse(""))));
      }
      return response.build();
    });
  }

  private void classify(ClassificationRequest request,
      StreamObserver<ClassificationResponse> answer) {
    runExamples(Method.CLASSIFY, request.getModelSpec(), request.getInput(), answer,
        (spec, prediction, examples) -> ClassificationResponse.newBuilder()
            .setModelSpec(spec)
            .setResult(classificationResult(ExampleTasks.classifications(prediction, examples)))
            .build());
  }

  private void regress(RegressionRequest request, StreamObserver<RegressionResponse> answer) {
    runExamples(Method.REGRESS, request.getModelSpec(), request.getInput(), answer,
        (spec, prediction, examples) -> RegressionResponse.newBuilder()
            .setModelSpec(spec)
            .setResult(regressionResult(ExampleTasks.regressions(prediction, examples)))
            .build());
  }

  /** Makes a Classify or Regress response from what answered and the signature's outputs. */
  private interface ExampleAnswer<T> {
    T answer(ModelSpec spec, Prediction prediction, int examples);
  }

  /** Classify or Regress: the request's examples through the signature its spec names. */
  private <T> void runExamples(Method method, ModelSpec requested, Input input,
      StreamObserver<T> answer, ExampleAnswer<T> respond) {
    handle(method.api(), answer, call -> {
      VersionRequest target = target(requested);
      String key = signatureKey(requested);
      call.describeModel(target.model());
      try (Servable servable = core.models().acquire(target)) {
        Predictor predictor = ExampleTasks.predictor(servable, key, method);
        call.describe(servable.name(), key);
        TensorValue examples = examples(input);
        Prediction prediction = call.run(predictor, Map.of(ExampleTasks.INPUTS, examples));
        return respond.answer(spec(servable, key), prediction, (int) examples.rows());
      }
    });
  }

  /**
   * Classification and regression signatures of one model on the same examples, as TF Serving's
   * TensorFlowMultiInferenceRunner checks and runs them: one model for every task, each signature
   * once, every method classify or regress, the version the first task's, all outputs fetched in
   * one session run (batched with other requests for the same tasks when batching is on).
   */
  private void multiInference(MultiInferenceRequest request,
      StreamObserver<MultiInferenceResponse> answer) {
    handle("multi_inference", answer, call -> {
      ModelSpec first = request.getTasksCount() > 0 ? request.getTasks(0).getModelSpec()
          : ModelSpec.getDefaultInstance();
      VersionRequest target = target(first);
      call.describeModel(target.model());
      try (Servable servable = core.models().acquire(target)) {
        var tasks = new ArrayList<ExampleTasks.Task>();
        var keys = new LinkedHashSet<String>();
        for (InferenceTask task : request.getTasksList()) {
          if (task.getModelSpec().getName().isEmpty()) {
            throw ServingException.invalidArgument("Found ModelSpec with an empty model name.");
          }
          if (!task.getModelSpec().getName().equals(first.getName())) {
            throw ServingException.invalidArgument("All ModelSpecs in a MultiInferenceRequest"
                + " must access the same model name.");
          }
          String key = signatureKey(task.getModelSpec());
          if (!keys.add(key)) {
            throw ServingException.invalidArgument("Duplicate evaluation of signature: " + key);
          }
          if (!servable.model().signatures().containsKey(key)) {
            throw ServingException.invalidArgument(
                "Requested signature not found in model graph: " + key);
          }
          Method method = Method.of(task.getMethodName()).orElseThrow(() ->
              new ServingException(ServingException.Code.UNIMPLEMENTED,
                  "Unsupported signature method_name: " + task.getMethodName()));
          tasks.add(new ExampleTasks.Task(key, method));
        }
        Predictor predictor = ExampleTasks.multiPredictor(servable, tasks);
        // one label value per set of signatures, whatever their order in the request
        call.describe(servable.name(), String.join(",", new TreeSet<>(keys)));
        TensorValue examples = examples(request.getInput());
        Prediction combined = call.run(predictor, ExampleTasks.feeds(predictor, examples));
        int rows = (int) examples.rows();
        var response = MultiInferenceResponse.newBuilder();
        for (ExampleTasks.Task task : tasks) {
          Prediction prediction = ExampleTasks.taskOutputs(combined, task.signatureKey());
          var result = InferenceResult.newBuilder()
              .setModelSpec(spec(servable, task.signatureKey()));
          if (task.method() == Method.CLASSIFY) {
            result.setClassificationResult(
                classificationResult(ExampleTasks.classifications(prediction, rows)));
          } else {
            result.setRegressionResult(
                regressionResult(ExampleTasks.regressions(prediction, rows)));
          }
          response.addResults(result);
        }
        return response.build();
      }
    });
  }

  /** The request's serialized examples, each with the context's bytes in front. */
  private static TensorValue examples(Input input) {
    return switch (input.getKindCase()) {
      case EXAMPLE_LIST -> ExampleTasks.examples(
          bytes(input.getExampleList().getExamplesList()), new byte[0]);
      case EXAMPLE_LIST_WITH_CONTEXT -> ExampleTasks.examples(
          bytes(input.getExampleListWithContext().getExamplesList()),
          input.getExampleListWithContext().getContext().toByteArray());
      case KIND_NOT_SET -> ExampleTasks.examples(List.of(), new byte[0]);
    };
  }

  private static List<byte[]> bytes(List<ByteString> values) {
    return values.stream().map(ByteString::toByteArray).toList();
  }

  private static ClassificationResult classificationResult(
      ExampleTasks.Classifications classifications) {
    var result = ClassificationResult.newBuilder();
    for (int i = 0; i < classifications.examples(); i++) {
      var classes = result.addClassificationsBuilder();
      for (int c = 0; c < classifications.classes(); c++) {
        classes.addClassesBuilder()
            .setLabelBytes(ByteString.copyFrom(classifications.label(i, c)))
            .setScore(classifications.score(i, c));
      }
    }
    return result.build();
  }

  private static RegressionResult regressionResult(float[] values) {
    var result = RegressionResult.newBuilder();
    for (float value : values) {
      result.addRegressionsBuilder().setValue(value);
    }
    return result.build();
  }

  /** The model and version a ModelSpec names. */
  private static VersionRequest target(ModelSpec spec) {
    if (spec.getName().isEmpty()) {
      throw ServingException.invalidArgument("Missing ModelSpec: model_spec.name is empty");
    }
    return switch (spec.getVersionChoiceCase()) {
      case VERSION -> VersionRequest.version(spec.getName(), spec.getVersion().getValue());
      case VERSION_LABEL -> VersionRequest.label(spec.getName(), spec.getVersionLabel());
      case VERSIONCHOICE_NOT_SET -> VersionRequest.latest(spec.getName());
    };
  }

  private static String signatureKey(ModelSpec spec) {
    return spec.getSignatureName().isEmpty() ? SignatureInfo.DEFAULT_KEY
        : spec.getSignatureName();
  }

  /** The spec of what answered: name, version and signature. */
  private static ModelSpec spec(Servable servable, String signature) {
    return ModelSpec.newBuilder()
        .setName(servable.name())
        .setVersion(Int64Value.of(servable.version()))
        .setSignatureName(signature)
        .build();
  }

  private static io.grpc.StatusRuntimeException status(ServingException e) {
    if (e.code() == ServingException.Code.INTERNAL && e.getCause() != null) {
      System.err.println("internal error serving a gRPC call:");
      e.getCause().printStackTrace();
    }
    return Status.fromCode(Status.Code.valueOf(e.code().name()))
        .withDescription(e.getMessage())
        .asRuntimeException();
  }
}
