package dev.tfmnist.server.http;

import dev.tfmnist.server.ServingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.TensorSpec;
import dev.tfmnist.loader.TensorValue;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The two shapes of a predict request: rows ({@code "instances"}, one entry per example, an
 * object of named inputs when there are several) and columns ({@code "inputs"}, one tensor per
 * input, or the tensor itself when there is one input).
 */
final class RequestFormats {
  private RequestFormats() {}

  static Map<String, TensorValue> fromInstances(JsonNode instances, SignatureInfo signature) {
    if (!instances.isArray()) {
      throw ServingException.invalidArgument("\"instances\" must be a list, one entry per example");
    }
    if (instances.isEmpty()) {
      throw ServingException.invalidArgument("\"instances\" is empty");
    }
    JsonNode first = instances.get(0);
    boolean named = first.isObject() && !JsonTensors.isBinary(first);
    var inputs = new LinkedHashMap<String, TensorValue>();
    if (!named) {
      TensorSpec only = onlyInput(signature, "instances");
      inputs.put(only.key(), JsonTensors.parse(instances, only));
      return inputs;
    }
    // Gather each input's rows into one list, then read that list like a columnar tensor.
    var columns = new LinkedHashMap<String, ArrayNode>();
    signature.inputs().keySet().forEach(k -> columns.put(k, JsonNodeFactory.instance.arrayNode()));
    for (int i = 0; i < instances.size(); i++) {
      JsonNode instance = instances.get(i);
      if (!instance.isObject() || JsonTensors.isBinary(instance)) {
        throw ServingException.invalidArgument("instance " + i + " is not an object of named inputs like"
            + " instance 0");
      }
      for (Iterator<String> names = instance.fieldNames(); names.hasNext(); ) {
        String key = names.next();
        if (!columns.containsKey(key)) {
          throw new InvalidInputException("instance " + i + " has unknown input \"" + key
              + "\"; signature " + signature.key() + " takes " + signature.inputs().keySet());
        }
      }
      for (var column : columns.entrySet()) {
        JsonNode value = instance.get(column.getKey());
        if (value == null) {
          throw new InvalidInputException("instance " + i + " lacks input \"" + column.getKey()
              + "\"; signature " + signature.key() + " takes " + signature.inputs().keySet());
        }
        column.getValue().add(value);
      }
    }
    columns.forEach((key, rows) -> inputs.put(key, JsonTensors.parse(rows, signature.input(key))));
    return inputs;
  }

  static Map<String, TensorValue> fromInputs(JsonNode node, SignatureInfo signature) {
    var inputs = new LinkedHashMap<String, TensorValue>();
    if (!node.isObject() || JsonTensors.isBinary(node)) {
      TensorSpec only = onlyInput(signature, "inputs");
      inputs.put(only.key(), JsonTensors.parse(node, only));
      return inputs;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      var field = it.next();
      if (signature.inputs().containsKey(field.getKey())) {  // others are ignored, as TF Serving does
        inputs.put(field.getKey(), JsonTensors.parse(field.getValue(),
            signature.input(field.getKey())));
      }
    }
    return inputs;
  }

  private static TensorSpec onlyInput(SignatureInfo signature, String field) {
    if (signature.inputs().size() != 1) {
      throw new InvalidInputException("signature " + signature.key() + " takes "
          + signature.inputs().size() + " inputs " + signature.inputs().keySet() + "; \"" + field
          + "\" must name each");
    }
    return signature.inputs().values().iterator().next();
  }

  /** The batch size all outputs share, which a row-format answer needs. */
  static long commonBatch(Map<String, TensorValue> outputs) {
    var sizes = new TreeSet<Long>();
    for (var e : outputs.entrySet()) {
      if (e.getValue().shape().numDimensions() == 0) {
        throw new InvalidInputException("output \"" + e.getKey() + "\" is a scalar, which the "
            + "row format cannot split into predictions; send \"inputs\" instead");
      }
      sizes.add(e.getValue().rows());
    }
    if (sizes.size() > 1) {
      var described = new LinkedHashMap<String, Long>();
      outputs.forEach((k, v) -> described.put(k, v.rows()));
      throw new InvalidInputException("outputs differ in batch size " + described
          + ", which the row format cannot split into predictions; send \"inputs\" instead");
    }
    return sizes.isEmpty() ? 0 : sizes.first();
  }
}
