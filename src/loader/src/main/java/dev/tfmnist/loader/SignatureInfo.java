package dev.tfmnist.loader;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.tensorflow.proto.SignatureDef;

/**
 * A signature of a loaded model: what it is called, what it takes and what it gives. Inputs and
 * outputs are in key order, which is also the order of TensorFlow Serving's responses.
 *
 * <p>{@link LoadedModel#signatures()} lists a model's; a caller may also make one over a model's
 * tensors for {@link LoadedModel#predictor(SignatureInfo)}.
 *
 * @param key the signature key, e.g. {@code serving_default}
 * @param methodName the SignatureDef's method name, e.g. {@code tensorflow/serving/predict}; empty
 *     when it has none (null is taken as empty)
 * @param inputs the inputs by key; copied into an unmodifiable map that keeps their order
 * @param outputs the outputs by key; copied into an unmodifiable map that keeps their order
 */
public record SignatureInfo(
    String key, String methodName, Map<String, TensorSpec> inputs, Map<String, TensorSpec> outputs) {

  /** TensorFlow's default signature key, and what TensorFlow Serving uses when none is named. */
  public static final String DEFAULT_KEY = "serving_default";

  /**
   * Copies the inputs and outputs, keeping their order.
   *
   * @param key the signature key
   * @param methodName the method name; null is taken as empty
   * @param inputs the inputs by key
   * @param outputs the outputs by key
   * @throws NullPointerException if {@code key}, {@code inputs} or {@code outputs} is null
   */
  public SignatureInfo {
    Objects.requireNonNull(key, "key");
    methodName = methodName == null ? "" : methodName;
    inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  static SignatureInfo of(String key, SignatureDef def) {
    var inputs = new TreeMap<String, TensorSpec>();
    def.getInputsMap().forEach((name, info) -> inputs.put(name, TensorSpec.of(name, info)));
    var outputs = new TreeMap<String, TensorSpec>();
    def.getOutputsMap().forEach((name, info) -> outputs.put(name, TensorSpec.of(name, info)));
    return new SignatureInfo(key, def.getMethodName(), inputs, outputs);
  }

  /**
   * One input by key.
   *
   * @param name the input key
   * @return its spec
   * @throws InvalidInputException if the signature has no such input; the message lists its inputs
   */
  public TensorSpec input(String name) {
    TensorSpec spec = inputs.get(name);
    if (spec == null) {
      throw new InvalidInputException("signature " + key + " has no input \"" + name
          + "\"; its inputs are " + String.join(", ", inputs.keySet()));
    }
    return spec;
  }

  /**
   * One output by key.
   *
   * @param name the output key
   * @return its spec
   * @throws InvalidInputException if the signature has no such output; the message lists its
   *     outputs
   */
  public TensorSpec output(String name) {
    TensorSpec spec = outputs.get(name);
    if (spec == null) {
      throw new InvalidInputException("signature " + key + " has no output \"" + name
          + "\"; its outputs are " + String.join(", ", outputs.keySet()));
    }
    return spec;
  }

  /**
   * Whether requests can be stacked along dimension 0 and the results split back: every input and
   * output has a known rank of at least 1 and an unknown first dimension.
   *
   * @return true when the signature has inputs and every input and output is batched
   */
  public boolean isBatchable() {
    return !inputs.isEmpty()
        && inputs.values().stream().allMatch(TensorSpec::isBatched)
        && outputs.values().stream().allMatch(TensorSpec::isBatched);
  }
}
