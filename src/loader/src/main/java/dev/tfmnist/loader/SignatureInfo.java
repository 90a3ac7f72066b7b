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
 */
public record SignatureInfo(
    String key, String methodName, Map<String, TensorSpec> inputs, Map<String, TensorSpec> outputs) {

  /** TensorFlow's default signature key, and what TensorFlow Serving uses when none is named. */
  public static final String DEFAULT_KEY = "serving_default";

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

  public TensorSpec input(String name) {
    TensorSpec spec = inputs.get(name);
    if (spec == null) {
      throw new InvalidInputException("signature " + key + " has no input \"" + name
          + "\"; its inputs are " + String.join(", ", inputs.keySet()));
    }
    return spec;
  }

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
   */
  public boolean isBatchable() {
    return !inputs.isEmpty()
        && inputs.values().stream().allMatch(TensorSpec::isBatched)
        && outputs.values().stream().allMatch(TensorSpec::isBatched);
  }
}
