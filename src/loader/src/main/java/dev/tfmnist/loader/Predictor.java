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
 *
 * <p>Made by {@link LoadedModel#predictor()} and its overloads; it is valid as long as its model is
 * open. Two predictors are equal when they run the same model, signature and outputs.
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

  /**
   * The model this predictor runs.
   *
   * @return the model; this predictor does not own it
   */
  public LoadedModel model() {
    return model;
  }

  /**
   * The signature this predictor runs.
   *
   * @return the signature
   */
  public SignatureInfo signature() {
    return signature;
  }

  /**
   * The outputs this predictor fetches, in order; all of the signature's, in key order, unless
   * narrowed by {@link #withOutputs}.
   *
   * @return the output keys, unmodifiable
   */
  public List<String> outputKeys() {
    return outputKeys;
  }

  /**
   * A predictor that fetches only {@code keys}, so TensorFlow computes no more than needed. This
   * predictor is left as it is.
   *
   * @param keys output keys of the signature, in the order the predictions should list them
   * @return a new predictor for the same model and signature
   * @throws IllegalArgumentException if no key is given
   * @throws InvalidInputException if a key is not an output of the signature
   */
  public Predictor withOutputs(String... keys) {
    if (keys.length == 0) {
      throw new IllegalArgumentException("name at least one output");
    }
    for (String key : keys) {
      signature.output(key);
    }
    return new Predictor(model, signature, List.of(keys));
  }

  /**
   * Runs the signature on Java values; the result is Java values too. The inputs are validated
   * ({@link #validate}), copied into native tensors for the run and those freed before this
   * returns, whatever happens: the caller holds no native memory. Safe to call from any number of
   * threads at once.
   *
   * @param inputs one value per input of the signature, by input key
   * @return the outputs in {@link #outputKeys()} order
   * @throws InvalidInputException if the inputs do not fit the signature
   * @throws PredictionException if TensorFlow fails running the signature
   * @throws IllegalStateException if the model is closed
   * @throws IllegalArgumentException if an output's dtype is not one of {@link Dtypes#SUPPORTED}
   *     ({@link #run} returns it as a native tensor)
   * @throws NullPointerException if an input value is null
   */
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
   * fixed-size rows of numbers or booleans (there are no zeros to make for it), or when the
   * signature is not {@linkplain SignatureInfo#isBatchable() batchable}.
   *
   * @param maxRows the largest batch size to run; nothing runs when it is less than 1
   * @return {@code maxRows}, the number of runs made; 0 when the signature cannot be warmed up
   * @throws PredictionException if TensorFlow fails running the signature
   * @throws IllegalStateException if the model is closed
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

  /**
   * {@link #predict(Map)} for a signature with a single input, which need not be named.
   *
   * @param input the value of the signature's one input
   * @return the outputs in {@link #outputKeys()} order
   * @throws InvalidInputException if the signature does not take exactly one input, or
   *     {@code input} does not fit it
   * @throws PredictionException if TensorFlow fails running the signature
   * @throws IllegalStateException if the model is closed
   * @throws IllegalArgumentException if an output's dtype is not one of {@link Dtypes#SUPPORTED}
   */
  public Prediction predict(TensorValue input) {
    return predict(Map.of(singleInputKey(), input));
  }

  /**
   * Runs the signature on native tensors and returns TensorFlow's result, with the outputs in
   * {@link #outputKeys()} order. The inputs are checked like any others; the caller keeps
   * ownership of them and must close the result. Outputs of any dtype are returned, also those
   * {@link TensorValue} cannot hold.
   *
   * @param inputs one tensor per input of the signature, by input key; not closed by this call
   * @return TensorFlow's result, which the caller must close
   * @throws InvalidInputException if the inputs do not fit the signature
   * @throws PredictionException if TensorFlow fails running the signature
   * @throws IllegalStateException if the model is closed
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

  /**
   * Throws {@link InvalidInputException} unless {@code inputs} fit the signature: the same keys,
   * each of the input's dtype and known rank, of its size in every known dimension and, in a
   * {@linkplain SignatureInfo#isBatchable() batchable} signature, of one batch size. Runs nothing.
   *
   * @param inputs one value per input of the signature, by input key
   * @throws InvalidInputException if the inputs do not fit; the message names the input and says
   *     what was expected
   * @throws NullPointerException if an input value is null
   */
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

  /**
   * Same model, signature and outputs: what lets a batcher stack two callers' requests.
   *
   * @param o the object to compare with
   * @return whether {@code o} is a predictor for the same model instance, an equal signature and
   *     the same outputs in the same order
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Predictor other
        && model == other.model
        && signature.equals(other.signature)
        && outputKeys.equals(other.outputKeys);
  }

  /**
   * A hash consistent with {@link #equals(Object)}.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return Objects.hash(System.identityHashCode(model), signature.key(), outputKeys);
  }

  @Override
  public String toString() {
    return "Predictor[" + signature.key() + " -> " + outputKeys + "]";
  }
}
