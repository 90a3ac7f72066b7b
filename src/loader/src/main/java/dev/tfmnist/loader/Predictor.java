package dev.tfmnist.loader;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * Runs one signature of a {@link LoadedModel}. Cheap to make and safe to share between threads;
 * it holds no native resources, the model does.
 *
 * <p>Every input is checked against the signature (keys, dtype, rank, known dimensions, a common
 * batch size) before anything reaches TensorFlow, and {@link InvalidInputException} says what did
 * not fit.
 */
public final class Predictor {
  private final LoadedModel model;
  private final SignatureInfo signature;
  private final List<String> outputKeys;

  Predictor(LoadedModel model, SignatureInfo signature, List<String> outputKeys) {
    this.model = model;
    this.signature = signature;
    this.outputKeys = List.copyOf(outputKeys);
  }

  public LoadedModel model() {
    return model;
  }

  public SignatureInfo signature() {
    return signature;
  }

  /** The outputs this predictor fetches, in order; all of the signature's unless narrowed. */
  public List<String> outputKeys() {
    return outputKeys;
  }

  /** A predictor that fetches only {@code keys}, so TensorFlow computes no more than needed. */
  public Predictor withOutputs(String... keys) {
    if (keys.length == 0) {
      throw new IllegalArgumentException("name at least one output");
    }
    for (String key : keys) {
      signature.output(key);
    }
    return new Predictor(model, signature, List.of(keys));
  }

  /** Runs the signature on Java values; the result is Java values too. */
  public Prediction predict(Map<String, TensorValue> inputs) {
    validate(inputs);
    var tensors = new ArrayList<Tensor>(inputs.size());
    try {
      var feeds = new LinkedHashMap<String, Tensor>();
      for (var entry : inputs.entrySet()) {
        Tensor tensor = TensorConversion.toTensor(entry.getValue());
        tensors.add(tensor);
        feeds.put(entry.getKey(), tensor);
      }
      try (Result result = model.run(signature, feeds, outputKeys)) {
        var outputs = new LinkedHashMap<String, TensorValue>();
        for (int i = 0; i < outputKeys.size(); i++) {
          outputs.put(outputKeys.get(i), TensorConversion.toValue(result.get(i)));
        }
        return new Prediction(outputs);
      }
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /**
   * Runs the signature on zeros once at every batch size from 1 to {@code maxRows}, so that the
   * first real requests do not pay for what TensorFlow does on a first run: Grappler optimizing
   * the graph for this feed and fetch set, and oneDNN building its kernels for each input shape.
   * Returns the number of runs: 0 when the signature has an input that is not a batch of
   * fixed-size rows of numbers or booleans (there are no zeros to make for it).
   */
  public int warmUp(int maxRows) {
    if (!signature.isBatchable()) {
      return 0;
    }
    for (TensorSpec spec : signature.inputs().values()) {
      if (spec.shape().tail().hasUnknownDimension() || spec.dtype() == DataType.DT_STRING) {
        return 0;
      }
    }
    for (int rows = 1; rows <= maxRows; rows++) {
      var zeros = new LinkedHashMap<String, TensorValue>();
      for (TensorSpec spec : signature.inputs().values()) {
        Shape shape = Shape.of(rows).append(spec.shape().tail());
        Object data = java.lang.reflect.Array.newInstance(
            TensorValue.arrayClass(spec.dtype()).getComponentType(), (int) shape.size());
        zeros.put(spec.key(), TensorValue.wrap(spec.dtype(), shape, data));
      }
      predict(zeros);
    }
    return maxRows;
  }

  /** For a signature with a single input. */
  public Prediction predict(TensorValue input) {
    return predict(Map.of(singleInputKey(), input));
  }

  /**
   * Runs the signature on native tensors and returns TensorFlow's result, with the outputs in
   * {@link #outputKeys()} order. The inputs are checked like any others; the caller keeps
   * ownership of them and must close the result.
   */
  public Result run(Map<String, ? extends Tensor> inputs) {
    var shapes = new LinkedHashMap<String, Shape>();
    var dtypes = new LinkedHashMap<String, DataType>();
    inputs.forEach((key, tensor) -> {
      shapes.put(key, tensor.shape());
      dtypes.put(key, tensor.dataType());
    });
    check(shapes, dtypes);
    return model.run(signature, inputs, outputKeys);
  }

  /** Throws {@link InvalidInputException} unless {@code inputs} fit the signature. */
  public void validate(Map<String, TensorValue> inputs) {
    var shapes = new LinkedHashMap<String, Shape>();
    var dtypes = new LinkedHashMap<String, DataType>();
    inputs.forEach((key, value) -> {
      shapes.put(key, Objects.requireNonNull(value, key).shape());
      dtypes.put(key, value.dtype());
    });
    check(shapes, dtypes);
  }

  private void check(Map<String, Shape> shapes, Map<String, DataType> dtypes) {
    for (String key : shapes.keySet()) {
      if (!signature.inputs().containsKey(key)) {
        throw new InvalidInputException("unknown input \"" + key + "\": signature "
            + signature.key() + " takes " + describeInputs());
      }
    }
    for (TensorSpec spec : signature.inputs().values()) {
      if (!shapes.containsKey(spec.key())) {
        throw new InvalidInputException("missing input \"" + spec.key() + "\": signature "
            + signature.key() + " takes " + describeInputs());
      }
      checkOne(spec, dtypes.get(spec.key()), shapes.get(spec.key()));
    }
    checkCommonBatch(shapes);
  }

  private static void checkOne(TensorSpec spec, DataType dtype, Shape shape) {
    String wanted = "expected " + spec.describe();
    if (dtype != spec.dtype()) {
      throw new InvalidInputException("input \"" + spec.key() + "\" is " + Dtypes.name(dtype)
          + ", " + wanted);
    }
    if (!spec.hasKnownRank()) {
      return;
    }
    if (shape.numDimensions() != spec.rank()) {
      throw new InvalidInputException("input \"" + spec.key() + "\" has shape "
          + TensorSpec.format(shape) + " (rank " + shape.numDimensions() + "), expected rank "
          + spec.rank() + ": " + spec.describe());
    }
    for (int i = 0; i < spec.rank(); i++) {
      long expected = spec.shape().get(i);
      if (expected != Shape.UNKNOWN_SIZE && shape.get(i) != expected) {
        throw new InvalidInputException("input \"" + spec.key() + "\" has " + shape.get(i)
            + " values in dimension " + i + " (shape " + TensorSpec.format(shape) + "), expected "
            + expected + ": " + spec.describe());
      }
    }
  }

  /** In a batchable signature, dimension 0 is the batch, and it is one size for all inputs. */
  private void checkCommonBatch(Map<String, Shape> shapes) {
    if (!signature.isBatchable() || shapes.size() < 2) {
      return;
    }
    var sizes = new TreeSet<Long>();
    shapes.values().forEach(shape -> sizes.add(shape.get(0)));
    if (sizes.size() > 1) {
      var described = new ArrayList<String>();
      shapes.forEach((key, shape) -> described.add(key + " " + shape.get(0)));
      throw new InvalidInputException("inputs disagree on the batch size (dimension 0): "
          + String.join(", ", described));
    }
  }

  private String describeInputs() {
    var parts = new ArrayList<String>();
    signature.inputs().values().forEach(spec -> parts.add(spec.key() + " " + spec.describe()));
    return String.join(", ", parts);
  }

  private String singleInputKey() {
    if (signature.inputs().size() != 1) {
      throw new InvalidInputException("signature " + signature.key() + " takes "
          + signature.inputs().size() + " inputs (" + describeInputs() + "); name each");
    }
    return signature.inputs().keySet().iterator().next();
  }

  /** Same model, signature and outputs: what lets a batcher stack two callers' requests. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Predictor other
        && model == other.model
        && signature.equals(other.signature)
        && outputKeys.equals(other.outputKeys);
  }

  @Override
  public int hashCode() {
    return Objects.hash(System.identityHashCode(model), signature.key(), outputKeys);
  }

  @Override
  public String toString() {
    return "Predictor[" + signature.key() + " -> " + outputKeys + "]";
  }
}
