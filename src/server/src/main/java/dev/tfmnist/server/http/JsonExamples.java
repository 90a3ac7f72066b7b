package dev.tfmnist.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.tfmnist.server.ServingException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;

/**
 * The {@code :classify} and {@code :regress} request bodies as TensorFlow Serving reads them
 * (util/json_tensor.cc): {@code {"signature_name": ..., "context": {...}, "examples": [{...},
 * ...]}}, each object a tf.Example whose keys are features. A feature's value is one value or a
 * list of them, all of one kind: integers and booleans make an int64 list, numbers with a
 * fraction or exponent a float list, strings and {@code {"b64": ...}} a bytes list.
 */
final class JsonExamples {
  private JsonExamples() {}

  /** The serialized examples of a request object; empty examples are refused. */
  static List<byte[]> examples(JsonNode request, String method) {
    JsonNode examples = request.get("examples");
    if (examples == null) {
      throw ServingException.invalidArgument("When method is " + method + ", key 'examples' is"
          + " expected and was not found");
    }
    if (!examples.isArray()) {
      throw ServingException.invalidArgument("Expecting 'examples' value to be an list/array");
    }
    if (examples.isEmpty()) {
      throw ServingException.invalidArgument("'examples' value is an empty array");
    }
    var serialized = new ArrayList<byte[]>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      serialized.add(example(examples.get(i), "examples[" + i + "]").toByteArray());
    }
    return serialized;
  }

  /** The serialized context of a request object, or no bytes when it has none. */
  static byte[] context(JsonNode request) {
    JsonNode context = request.get("context");
    return context == null ? new byte[0] : example(context, "context").toByteArray();
  }

  private static Example example(JsonNode node, String where) {
    if (!node.isObject()) {
      throw ServingException.invalidArgument("Example must be JSON object but got JSON "
          + kind(node) + " (" + where + ")");
    }
    var features = Example.newBuilder().getFeaturesBuilder();
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      var feature = new FeatureBuilder(field.getKey());
      if (field.getValue().isArray()) {
        field.getValue().forEach(feature::add);
      } else {
        feature.add(field.getValue());
      }
      features.putFeature(field.getKey(), feature.build());
    }
    return Example.newBuilder().setFeatures(features).build();
  }

  /** One feature's values; the first value fixes its kind, as in TF Serving. */
  private static final class FeatureBuilder {
    private final String name;
    private final Feature.Builder feature = Feature.newBuilder();

    FeatureBuilder(String name) {
      this.name = name;
    }

    void add(JsonNode value) {
      if (value.isBoolean()) {
        expect(Feature.KindCase.INT64_LIST);
        feature.getInt64ListBuilder().addValue(value.booleanValue() ? 1 : 0);
      } else if (value.isTextual()) {
        expect(Feature.KindCase.BYTES_LIST);
        feature.getBytesListBuilder().addValue(ByteString.copyFromUtf8(value.textValue()));
      } else if (JsonTensors.isBinary(value)) {
        expect(Feature.KindCase.BYTES_LIST);
        try {
          feature.getBytesListBuilder().addValue(ByteString.copyFrom(
              Base64.getDecoder().decode(value.get("b64").textValue())));
        } catch (IllegalArgumentException e) {
          throw ServingException.invalidArgument("Feature: " + name + " has invalid base64: "
              + e.getMessage());
        }
      } else if (value.isFloatingPointNumber()) {
        expect(Feature.KindCase.FLOAT_LIST);
        feature.getFloatListBuilder().addValue(value.floatValue());
      } else if (value.isIntegralNumber()) {
        expect(Feature.KindCase.INT64_LIST);
        if (!value.canConvertToLong()) {
          throw ServingException.invalidArgument("Feature: " + name + " has element "
              + value.asText() + " outside int64. Only int64_t is supported.");
        }
        feature.getInt64ListBuilder().addValue(value.longValue());
      } else {
        throw ServingException.invalidArgument("Feature: " + name
            + " has element with unexpected JSON type: " + kind(value));
      }
    }

    private void expect(Feature.KindCase kind) {
      if (feature.getKindCase() != Feature.KindCase.KIND_NOT_SET
          && feature.getKindCase() != kind) {
        throw ServingException.invalidArgument("Unexpected element type in feature: " + name
            + " expecting type: " + switch (feature.getKindCase()) {
              case BYTES_LIST -> "bytes";
              case FLOAT_LIST -> "float";
              default -> "int64";
            });
      }
    }

    Feature build() {
      return feature.build();
    }
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "Array";
      case OBJECT -> "Object";
      case STRING -> "String";
      case BOOLEAN -> "Boolean";
      case NULL -> "Null";
      default -> "Number";
    };
  }
}
