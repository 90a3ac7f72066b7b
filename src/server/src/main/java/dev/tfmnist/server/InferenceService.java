package dev.tfmnist.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.ExampleTasks.Method;
import dev.tfmnist.server.api.ClassificationRequest;
import dev.tfmnist.server.api.ClassificationResponse;
import dev.tfmnist.server.api.ClassificationResult;
import dev.tfmnist.server.api.InferenceResult;
import dev.tfmnist.server.api.InferenceTask;
import dev.tfmnist.server.api.Input;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.MultiInferenceRequest;
import dev.tfmnist.server.api.MultiInferenceResponse;
import dev.tfmnist.server.api.RegressionRequest;
import dev.tfmnist.server.api.RegressionResponse;
import dev.tfmnist.server.api.RegressionResult;
import dev.tfmnist.server.models.Servable;
import dev.tfmnist.server.models.VersionRequest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * TensorFlow Serving's inference APIs in the server's own terms, for every front end: Predict on
 * tensors, and Classify, Regress and MultiInference on tf.Example protos. Each method resolves the
 * model, version and signature a {@link ModelSpec} names, runs the model through the {@link
 * ServingCore} (batched, within the request's deadline) and returns a plain result or TF Serving's
 * response message; failures are {@link ServingException}s with TF Serving's codes and texts.
 *
 * <pre>{@code
 * var inference = new InferenceService(core);
 * try (var call = core.begin("predict", "REST")) {
 *   PredictResult result = inference.predict(call, ModelSpecs.of("mnist"),
 *       signature -> Map.of("xs", pixels), List.of());
 * }
 * }</pre>
 */
public final class InferenceService {
  private final ServingCore core;

  /**
   * The inference APIs over a core.
   *
   * @param core the models, batcher and metrics requests go through
   */
  public InferenceService(ServingCore core) {
    this.core = core;
  }

  /** Reads a request's input tensors once the signature they are for is known. */
  @FunctionalInterface
  public interface InputReader {
    /**
     * The inputs, by the signature's input keys.
     *
     * @param signature the signature the request runs
     * @return the tensors to feed
     * @throws ServingException INVALID_ARGUMENT when the request's inputs do not fit
     */
    Map<String, TensorValue> read(SignatureInfo signature);
  }

  /**
   * What answered a Predict and its outputs.
   *
   * @param spec the model name, version and signature that answered
   * @param prediction the outputs, by output key
   */
  public record PredictResult(ModelSpec spec, Prediction prediction) {}

  /**
   * TF Serving's Predict: the signature the spec names (default {@code serving_default}) of the
   * version it names (default the latest), on the inputs the reader gives.
   *
   * @param call the request, for its deadline and metrics
   * @param spec model name, version or label, signature name
   * @param inputs reads the inputs for the resolved signature
   * @param outputFilter output keys to fetch; empty for all
   * @return what answered and the outputs
   * @throws ServingException NOT_FOUND for a model or version not served, FAILED_PRECONDITION
   *     for a signature the model lacks, INVALID_ARGUMENT for inputs that do not fit, and the
   *     codes of {@link ServingCore.Call#run}
   */
  public PredictResult predict(ServingCore.Call call, ModelSpec spec, InputReader inputs,
      List<String> outputFilter) {
    VersionRequest target = ModelSpecs.target(spec);
    String key = ModelSpecs.signatureKey(spec);
    call.describeModel(target.model());
    try (Servable servable = core.models().acquire(target)) {
      Predictor predictor = servable.predictor(key);
      call.describe(servable.name(), key);
      if (!outputFilter.isEmpty()) {
        predictor = predictor.withOutputs(outputFilter.toArray(String[]::new));
      }
      Prediction prediction = call.run(predictor, inputs.read(predictor.signature()));
      return new PredictResult(answered(servable, key), prediction);
    }
  }

  /**
   * TF Serving's Classify: the examples through a signature taking serialized tf.Example protos
   * and answering {@code classes} and/or {@code scores}.
   *
   * @param call the request, for its deadline and metrics
   * @param request model spec and examples (with an optional context)
   * @return the classes and scores of each example
   * @throws ServingException INVALID_ARGUMENT for a signature that does not classify or an empty
   *     input, NOT_FOUND for a model or version not served
   */
  public ClassificationResponse classify(ServingCore.Call call, ClassificationRequest request) {
    return runExamples(call, Method.CLASSIFY, request.getModelSpec(), request.getInput(),
        (spec, prediction, rows) -> ClassificationResponse.newBuilder().setModelSpec(spec)
            .setResult(classificationResult(ExampleTasks.classifications(prediction, rows)))
            .build());
  }

  /**
   * TF Serving's Regress: the examples through a signature taking serialized tf.Example protos
   * and answering {@code outputs}.
   *
   * @param call the request, for its deadline and metrics
   * @param request model spec and examples (with an optional context)
   * @return one value per example
   * @throws ServingException INVALID_ARGUMENT for a signature that does not regress or an empty
   *     input, NOT_FOUND for a model or version not served
   */
  public RegressionResponse regress(ServingCore.Call call, RegressionRequest request) {
    return runExamples(call, Method.REGRESS, request.getModelSpec(), request.getInput(),
        (spec, prediction, rows) -> RegressionResponse.newBuilder().setModelSpec(spec)
            .setResult(regressionResult(ExampleTasks.regressions(prediction, rows)))
            .build());
  }

  /** Makes a Classify or Regress response from what answered and the signature's outputs. */
  private interface ExampleAnswer<T> {
    T answer(ModelSpec spec, Prediction prediction, int examples);
  }

  private <T> T runExamples(ServingCore.Call call, Method method, ModelSpec spec, Input input,
      ExampleAnswer<T> respond) {
    VersionRequest target = ModelSpecs.target(spec);
    String key = ModelSpecs.signatureKey(spec);
    call.describeModel(target.model());
    try (Servable servable = core.models().acquire(target)) {
      Predictor predictor = ExampleTasks.predictor(servable, key, method);
      call.describe(servable.name(), key);
      TensorValue examples = examples(input);
      Prediction prediction = call.run(predictor, Map.of(ExampleTasks.INPUTS, examples));
      return respond.answer(answered(servable, key), prediction, (int) examples.rows());
    }
  }

  /**
   * Classification and regression signatures of one model on the same examples, as TF Serving's
   * TensorFlowMultiInferenceRunner checks and runs them: one model for every task, each signature
   * once, every method classify or regress, the version the first task's, all outputs fetched in
   * one session run (batched with other requests for the same tasks).
   *
   * @param call the request, for its deadline and metrics
   * @param request the tasks and the examples
   * @return one result per task, in the tasks' order
   * @throws ServingException INVALID_ARGUMENT for tasks that break those rules, UNIMPLEMENTED for
   *     a method other than classify or regress, NOT_FOUND for a model or version not served
   */
  public MultiInferenceResponse multiInference(ServingCore.Call call,
      MultiInferenceRequest request) {
    ModelSpec first = request.getTasksCount() > 0 ? request.getTasks(0).getModelSpec()
        : ModelSpec.getDefaultInstance();
    VersionRequest target = ModelSpecs.target(first);
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
        String key = ModelSpecs.signatureKey(task.getModelSpec());
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
            .setModelSpec(answered(servable, task.signatureKey()));
        if (task.method() == Method.CLASSIFY) {
          result.setClassificationResult(
              classificationResult(ExampleTasks.classifications(prediction, rows)));
        } else {
          result.setRegressionResult(regressionResult(ExampleTasks.regressions(prediction, rows)));
        }
        response.addResults(result);
      }
      return response.build();
    }
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

  /** The spec of what answered: name, version and signature. */
  static ModelSpec answered(Servable servable, String signature) {
    return ModelSpec.newBuilder()
        .setName(servable.name())
        .setVersion(Int64Value.of(servable.version()))
        .setSignatureName(signature)
        .build();
  }
}
