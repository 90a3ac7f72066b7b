package dev.tfmnist.server;

import dev.tfmnist.loader.Dtypes;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.TensorSpec;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.models.Servable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * TensorFlow Serving's Classify and Regress: a signature that takes serialized tf.Example protos
 * under {@code inputs} and answers {@code classes} and/or {@code scores} (classification) or
 * {@code outputs} (regression). What the REST and gRPC front ends share: which signatures
 * qualify, the examples as the one string tensor they are fed as, and the outputs read back per
 * example. Rules and messages are TF Serving's (servables/tensorflow/classifier.cc, regressor.cc,
 * util.cc); like TF Serving by default, the signature's method_name is not checked, its inputs and
 * outputs are.
 */
public final class ExampleTasks {
  /** The one input of a classification or regression signature: serialized examples. */
  public static final String INPUTS = "inputs";
  static final String CLASSES = "classes";
  static final String SCORES = "scores";
  static final String OUTPUTS = "outputs";

  private ExampleTasks() {}

  /** What is asked of a signature, and its method_name in a SignatureDef or InferenceTask. */
  public enum Method {
    CLASSIFY("tensorflow/serving/classify", "classify"),
    REGRESS("tensorflow/serving/regress", "regress");

    private final String methodName;
    private final String api;

    Method(String methodName, String api) {
      this.methodName = methodName;
      this.api = api;
    }

    public String methodName() {
      return methodName;
    }

    /** The API's name in the metrics and in REST's {@code :classify} / {@code :regress}. */
    public String api() {
      return api;
    }

    public static Optional<Method> of(String methodName) {
      return Arrays.stream(values()).filter(m -> m.methodName.equals(methodName)).findFirst();
    }
  }

  /**
   * The examples as the signature is fed them: a string tensor [N], each serialized example
   * preceded by the context's bytes (protobuf reads concatenated messages as one merged message,
   * so each example gets the context's features; its own win where both have one).
   *
   * @param context a serialized tf.Example, or empty for none
   */
  public static TensorValue examples(List<byte[]> examples, byte[] context) {
    if (examples.isEmpty()) {
      throw ServingException.invalidArgument("Input is empty.");
    }
    byte[][] values = examples.toArray(byte[][]::new);
    if (context.length > 0) {
      for (int i = 0; i < values.length; i++) {
        byte[] example = values[i];
        values[i] = Arrays.copyOf(context, context.length + example.length);
        System.arraycopy(example, 0, values[i], context.length, example.length);
      }
    }
    return TensorValue.ofStrings(Shape.of(values.length), values);  // copies each value once
  }

  /**
   * The predictor that runs {@code method} on signature {@code key} of {@code servable}, fetching
   * the outputs the method reads; INVALID_ARGUMENT when the signature is missing or does not fit.
   */
  public static Predictor predictor(Servable servable, String key, Method method) {
    SignatureInfo signature = servable.model().signatures().get(key);
    if (signature == null) {
      throw ServingException.invalidArgument("No signature was found with the name: " + key);
    }
    return servable.predictor(key).withOutputs(outputs(signature, method).toArray(String[]::new));
  }

  /** The outputs {@code method} reads from {@code signature}, once the signature is checked. */
  public static List<String> outputs(SignatureInfo signature, Method method) {
    String kind = method == Method.CLASSIFY ? "classification" : "regression";
    if (signature.inputs().size() != 1) {
      throw ServingException.invalidArgument("Expected one input Tensor.");
    }
    if (!signature.inputs().containsKey(INPUTS)) {
      throw ServingException.invalidArgument("No " + kind + " inputs found in signature "
          + signature.key() + ": its input is " + String.join(", ", signature.inputs().keySet())
          + ", expected \"" + INPUTS + "\"");
    }
    int outputs = signature.outputs().size();
    if (method == Method.REGRESS) {
      if (outputs != 1) {
        throw ServingException.invalidArgument("Expected one output Tensor.");
      }
      if (!signature.outputs().containsKey(OUTPUTS)) {
        throw ServingException.invalidArgument("No regression outputs found in signature "
            + signature.key() + ": its output is "
            + String.join(", ", signature.outputs().keySet()) + ", expected \"" + OUTPUTS + "\"");
      }
      return List.of(OUTPUTS);
    }
    if (outputs != 1 && outputs != 2) {
      throw ServingException.invalidArgument("Expected one or two output Tensors, found "
          + outputs);
    }
    var read = new ArrayList<String>();
    for (String key : List.of(CLASSES, SCORES)) {
      if (signature.outputs().containsKey(key)) {
        read.add(key);
      }
    }
    if (read.isEmpty()) {
      throw ServingException.invalidArgument("Expected classification signature outputs to"
          + " contain at least one of \"" + CLASSES + "\" or \"" + SCORES + "\"; signature "
          + signature.key() + " has " + String.join(", ", signature.outputs().keySet()));
    }
    return read;
  }

  /** One task of a MultiInference: a signature of the model and what is asked of it. */
  public record Task(String signatureKey, Method method) {}

  /**
   * One predictor for several tasks on the same examples, as TF Serving runs MultiInference: the
   * input tensor of every task is fed the examples (once per distinct tensor) and every output the
   * tasks read is fetched, in one session run. Its outputs are keyed {@code signature/output};
   * {@link #taskOutputs} gives each task its own back. The signatures must exist.
   */
  public static Predictor multiPredictor(Servable servable, List<Task> tasks) {
    var inputs = new LinkedHashMap<String, TensorSpec>();
    var outputs = new LinkedHashMap<String, TensorSpec>();
    for (Task task : tasks) {
      SignatureInfo signature = servable.model().signature(task.signatureKey());
      for (String key : outputs(signature, task.method())) {
        outputs.put(task.signatureKey() + "/" + key,
            renamed(signature.output(key), task.signatureKey() + "/" + key));
      }
      TensorSpec input = signature.input(INPUTS);
      inputs.putIfAbsent(input.tensorName(), renamed(input, input.tensorName()));
    }
    String key = tasks.stream().map(Task::signatureKey).collect(Collectors.joining(","));
    return servable.model().predictor(new SignatureInfo(key, "", inputs, outputs));
  }

  /** What a predictor of {@link #multiPredictor} is fed: the examples, under each input. */
  public static Map<String, TensorValue> feeds(Predictor predictor, TensorValue examples) {
    var feeds = new LinkedHashMap<String, TensorValue>();
    predictor.signature().inputs().keySet().forEach(key -> feeds.put(key, examples));
    return feeds;
  }

  /** The outputs of one task of a {@link #multiPredictor} run, under the signature's own keys. */
  public static Prediction taskOutputs(Prediction combined, String signatureKey) {
    String prefix = signatureKey + "/";
    var outputs = new LinkedHashMap<String, TensorValue>();
    combined.outputs().forEach((key, value) -> {
      if (key.startsWith(prefix)) {
        outputs.put(key.substring(prefix.length()), value);
      }
    });
    return new Prediction(outputs);
  }

  private static TensorSpec renamed(TensorSpec spec, String key) {
    return new TensorSpec(key, spec.tensorName(), spec.dtype(), spec.shape());
  }

  /**
   * The classes of each example: labels from {@code classes} (string [N, C]) and scores from
   * {@code scores} (float32 [N, C]), either absent when the signature lacks it.
   */
  public record Classifications(int examples, int classes, byte[][] labels, float[] scores) {
    public boolean hasLabels() {
      return labels != null;
    }

    public boolean hasScores() {
      return scores != null;
    }

    /** The label of class {@code c} of example {@code i}; empty without a classes output. */
    public byte[] label(int i, int c) {
      return labels == null ? new byte[0] : labels[i * classes + c];
    }

    /** The score of class {@code c} of example {@code i}; 0 without a scores output. */
    public float score(int i, int c) {
      return scores == null ? 0f : scores[i * classes + c];
    }
  }

  /** Reads a classification signature's outputs for {@code examples} examples. */
  public static Classifications classifications(Prediction prediction, int examples) {
    TensorValue classes = prediction.outputs().get(CLASSES);
    TensorValue scores = prediction.outputs().get(SCORES);
    if (classes != null) {
      checkMatrix(CLASSES, classes, DataType.DT_STRING, examples);
    }
    if (scores != null) {
      checkMatrix(SCORES, scores, DataType.DT_FLOAT, examples);
    }
    if (classes != null && scores != null
        && classes.shape().get(1) != scores.shape().get(1)) {
      throw ServingException.invalidArgument("Tensors class and score should match in"
          + " dim_size(1). Got " + classes.shape().get(1) + " vs. " + scores.shape().get(1));
    }
    TensorValue any = classes != null ? classes : scores;
    return new Classifications(examples, (int) any.shape().get(1),
        classes == null ? null : classes.strings(), scores == null ? null : scores.floats());
  }

  private static void checkMatrix(String key, TensorValue value, DataType dtype, int examples) {
    if (value.shape().numDimensions() != 2) {
      throw ServingException.invalidArgument("Expected " + key + " of shape [batch_size,"
          + " num_classes] but got " + value.shape());
    }
    if (value.dtype() != dtype) {
      throw ServingException.invalidArgument("Expected " + key + " Tensor of "
          + Dtypes.name(dtype) + ". Got: " + Dtypes.name(value.dtype()));
    }
    if (value.shape().get(0) != examples) {
      throw ServingException.invalidArgument("Expected " + key + " output batch size of "
          + examples + ". Got: " + value.shape().get(0));
    }
  }

  /** Reads a regression signature's {@code outputs} ([N] or [N, 1] float32), one per example. */
  public static float[] regressions(Prediction prediction, int examples) {
    TensorValue outputs = prediction.output(OUTPUTS);
    Shape shape = outputs.shape();
    if (!(shape.numDimensions() == 1
        || (shape.numDimensions() == 2 && shape.get(1) == 1))) {
      throw ServingException.invalidArgument("Expected output Tensor shape to be either"
          + " [batch_size] or [batch_size, 1] but got " + shape);
    }
    if (shape.get(0) != examples) {
      throw ServingException.invalidArgument("Input batch size did not match output batch"
          + " size: " + examples + " vs. " + shape.get(0));
    }
    if (outputs.dtype() != DataType.DT_FLOAT) {
      throw ServingException.invalidArgument("Expected output Tensor of float32. Got: "
          + Dtypes.name(outputs.dtype()));
    }
    return outputs.floats();
  }
}
