package dev.tfmnist.loader;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outputs of one run, by output key, in the order they were asked for. Holds Java values
 * only, no native memory; immutable.
 *
 * @param outputs the outputs by key; copied into an unmodifiable map that keeps their order
 */
public record Prediction(Map<String, TensorValue> outputs) {

  /**
   * Copies {@code outputs}, keeping their order.
   *
   * @param outputs the outputs by key
   * @throws NullPointerException if {@code outputs} is null
   */
  public Prediction {
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  /**
   * One output by key.
   *
   * @param key the output key, as in the signature
   * @return the output's value
   * @throws IllegalArgumentException if there is no such output; the message lists the outputs
   */
  public TensorValue output(String key) {
    TensorValue value = outputs.get(key);
    if (value == null) {
      throw new IllegalArgumentException("no output \"" + key + "\"; the outputs are "
          + outputs.keySet());
    }
    return value;
  }

  /**
   * Rows {@code from} to {@code to} of every output: one caller's share of a batched run.
   *
   * @param from the first row, inclusive
   * @param to the end row, exclusive
   * @return a new prediction with copies of those rows
   * @throws IllegalStateException if an output is a scalar
   * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= rows} for every output
   */
  public Prediction slice(long from, long to) {
    var part = new LinkedHashMap<String, TensorValue>();
    outputs.forEach((key, value) -> part.put(key, value.slice(from, to)));
    return new Prediction(part);
  }
}
