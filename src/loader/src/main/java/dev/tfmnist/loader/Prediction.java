package dev.tfmnist.loader;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The outputs of one run, by output key, in the order they were asked for. */
public record Prediction(Map<String, TensorValue> outputs) {

  public Prediction {
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  public TensorValue output(String key) {
    TensorValue value = outputs.get(key);
    if (value == null) {
      throw new IllegalArgumentException("no output \"" + key + "\"; the outputs are "
          + outputs.keySet());
    }
    return value;
  }

  /** Rows {@code from} to {@code to} of every output: one caller's share of a batched run. */
  public Prediction slice(long from, long to) {
    var part = new LinkedHashMap<String, TensorValue>();
    outputs.forEach((key, value) -> part.put(key, value.slice(from, to)));
    return new Prediction(part);
  }
}
