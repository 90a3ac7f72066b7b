package dev.tfmnist.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tfmnist.loader.Dtypes;
import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.TensorSpec;
import dev.tfmnist.loader.TensorValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * TensorFlow Serving's JSON encoding of tensors: nested lists, numbers for numeric types, {@code
 * NaN}/{@code Infinity} tokens for floats, true/false for bool, strings for DT_STRING, and {@code
 * {"b64": "..."}} for binary strings (on output, for keys ending in {@code _bytes}).
 */
final class JsonTensors {
  private static final String B64 = "b64";

  private JsonTensors() {}

  /** Converts the nested lists of {@code node} into a tensor of {@code spec}'s dtype. */
  static TensorValue parse(JsonNode node, TensorSpec spec) {
    var dims = new ArrayList<Long>();
    for (JsonNode n = node; n.isArray(); n = n.get(0)) {
      dims.add((long) n.size());
      if (n.isEmpty()) {
        break;
      }
    }
    long count = 1;
    for (long d : dims) {
      count *= d;
      if (count > Integer.MAX_VALUE - 8) {
        throw new InvalidInputException("input \"" + spec.key() + "\" is too large");
      }
    }
    var reader = new Reader(spec, dims, (int) count);
    reader.fill(node, 0, new ArrayList<>());
    return reader.build(Shape.of(dims.stream().mapToLong(Long::longValue).toArray()));
  }

  /** Walks the nested lists, checking they are rectangular, and converts each leaf. */
  private static final class Reader {
    private final TensorSpec spec;
    private final List<Long> dims;
    private final DataType dtype;
    private final Object data;
    private int next;

    Reader(TensorSpec spec, List<Long> dims, int count) {
      this.spec = spec;
      this.dims = dims;
      this.dtype = spec.dtype();
      this.data = switch (dtype) {
        case DT_FLOAT, DT_HALF, DT_BFLOAT16 -> new float[count];
        case DT_DOUBLE -> new double[count];
        case DT_INT32 -> new int[count];
        case DT_INT64 -> new long[count];
        case DT_UINT8 -> new byte[count];
        case DT_BOOL -> new boolean[count];
        case DT_STRING -> new byte[count][];
        default -> throw new InvalidInputException("input \"" + spec.key() + "\" is "
            + Dtypes.name(dtype) + ", which the REST API cannot encode");
      };
    }

    void fill(JsonNode node, int depth, List<Integer> path) {
      if (depth == dims.size()) {
        if (node.isArray()) {
          throw ragged(path, "a list where the others hold a value");
        }
        leaf(node, path);
        return;
      }
      if (!node.isArray()) {
        throw ragged(path, "a value where the others hold a list of " + dims.get(depth));
      }
      if (node.size() != dims.get(depth)) {
        throw ragged(path, node.size() + " values where the others hold " + dims.get(depth));
      }
      for (int i = 0; i < node.size(); i++) {
        path.add(i);
        fill(node.get(i), depth + 1, path);
        path.remove(path.size() - 1);
      }
    }

    private InvalidInputException ragged(List<Integer> path, String what) {
      return new InvalidInputException("input \"" + spec.key() + "\" is not a rectangular "
          + "tensor: " + where(path) + " holds " + what);
    }

    private void leaf(JsonNode node, List<Integer> path) {
      int i = next++;
      switch (dtype) {
        case DT_FLOAT, DT_HALF, DT_BFLOAT16 -> ((float[]) data)[i] = (float) number(node, path);
        case DT_DOUBLE -> ((double[]) data)[i] = number(node, path);
        case DT_INT32 -> ((int[]) data)[i] = (int) integer(node, path, Integer.MIN_VALUE, Integer.MAX_VALUE);
        case DT_INT64 -> ((long[]) data)[i] = integer(node, path, Long.MIN_VALUE, Long.MAX_VALUE);
        case DT_UINT8 -> ((byte[]) data)[i] = (byte) integer(node, path, 0, 255);
        case DT_BOOL -> {
          if (!node.isBoolean()) {
            throw wrongType(node, path, "true or false");
          }
          ((boolean[]) data)[i] = node.booleanValue();
        }
        case DT_STRING -> ((byte[][]) data)[i] = string(node, path);
        default -> throw new IllegalStateException(dtype.name());
      }
    }

    private double number(JsonNode node, List<Integer> path) {
      if (!node.isNumber()) {
        throw wrongType(node, path, "numbers");
      }
      return node.doubleValue();
    }

    private long integer(JsonNode node, List<Integer> path, long min, long max) {
      if (!node.isIntegralNumber() || !node.canConvertToLong()) {
        throw wrongType(node, path, "integers");
      }
      long value = node.longValue();
      if (value < min || value > max) {
        throw new InvalidInputException("input \"" + spec.key() + "\" expects "
            + Dtypes.name(dtype) + " values in " + min + ".." + max + ", got " + value + " at "
            + where(path));
      }
      return value;
    }

    private byte[] string(JsonNode node, List<Integer> path) {
      if (node.isTextual()) {
        return node.textValue().getBytes(StandardCharsets.UTF_8);
      }
      if (isBinary(node)) {
        try {
          return Base64.getDecoder().decode(node.get(B64).textValue());
        } catch (IllegalArgumentException e) {
          throw new InvalidInputException("input \"" + spec.key() + "\" has invalid base64 at "
              + where(path) + ": " + e.getMessage());
        }
      }
      throw wrongType(node, path, "strings or {\"b64\": ...} objects");
    }

    private InvalidInputException wrongType(JsonNode node, List<Integer> path, String expected) {
      return new InvalidInputException("input \"" + spec.key() + "\" is "
          + Dtypes.name(dtype) + " and expects " + expected + ", got " + kind(node) + " at "
          + where(path));
    }

    TensorValue build(Shape shape) {
      return switch (dtype) {
        case DT_FLOAT -> TensorValue.ofFloats(shape, (float[]) data);
        case DT_HALF, DT_BFLOAT16 -> TensorValue.ofFloats(dtype, shape, (float[]) data);
        case DT_DOUBLE -> TensorValue.ofDoubles(shape, (double[]) data);
        case DT_INT32 -> TensorValue.ofInts(shape, (int[]) data);
        case DT_INT64 -> TensorValue.ofLongs(shape, (long[]) data);
        case DT_UINT8 -> TensorValue.ofUint8(shape, (byte[]) data);
        case DT_BOOL -> TensorValue.ofBooleans(shape, (boolean[]) data);
        case DT_STRING -> TensorValue.ofStrings(shape, (byte[][]) data);
        default -> throw new IllegalStateException(dtype.name());
      };
    }
  }

  /** {@code {"b64": "..."}}: TF Serving's wrapper for binary strings. */
  static boolean isBinary(JsonNode node) {
    return node.isObject() && node.size() == 1 && node.has(B64) && node.get(B64).isTextual();
  }

  private static String kind(JsonNode node) {
    if (node.isTextual()) {
      String text = node.textValue();
      return "the string \"" + (text.length() > 20 ? text.substring(0, 20) + "..." : text) + "\"";
    }
    if (node.isBoolean()) {
      return node.booleanValue() ? "true" : "false";
    }
    if (node.isNumber()) {
      return "the number " + node.asText();
    }
    if (node.isNull()) {
      return "null";
    }
    return node.isObject() ? "an object" : node.getNodeType().name().toLowerCase();
  }

  private static String where(List<Integer> path) {
    if (path.isEmpty()) {
      return "the top level";
    }
    var sb = new StringBuilder();
    path.forEach(i -> sb.append('[').append(i).append(']'));
    return sb.toString();
  }

  /** Writes the whole of {@code value} as nested lists (a bare value for a scalar). */
  static void write(JsonGenerator out, String key, TensorValue value) throws IOException {
    new Writer(out, key, value).write(0, 0, value.size());
  }

  /** Writes row {@code row} of {@code value}: a value for a vector, nested lists otherwise. */
  static void writeRow(JsonGenerator out, String key, TensorValue value, int row)
      throws IOException {
    int rowSize = (int) (value.size() / value.rows());
    new Writer(out, key, value).write(1, row * rowSize, rowSize);
  }

  /** Writes elements from a flat array as the nesting of the shape's dimensions. */
  private static final class Writer {
    private final JsonGenerator out;
    private final TensorValue value;
    private final boolean binary;
    private final long[] dims;
    private final float[] floats;
    private final double[] doubles;
    private final int[] ints;
    private final long[] longs;
    private final byte[] bytes;
    private final boolean[] bools;
    private final byte[][] strings;

    Writer(JsonGenerator out, String key, TensorValue value) {
      this.out = out;
      this.value = value;
      this.binary = key.endsWith("_bytes");
      this.dims = value.shape().asArray();
      DataType dtype = value.dtype();
      this.floats = is(dtype, DataType.DT_FLOAT, DataType.DT_HALF, DataType.DT_BFLOAT16)
          ? value.floats() : null;
      this.doubles = dtype == DataType.DT_DOUBLE ? value.doubles() : null;
      this.ints = dtype == DataType.DT_INT32 ? value.ints() : null;
      this.longs = dtype == DataType.DT_INT64 ? value.longs() : null;
      this.bytes = dtype == DataType.DT_UINT8 ? value.uint8() : null;
      this.bools = dtype == DataType.DT_BOOL ? value.booleans() : null;
      this.strings = dtype == DataType.DT_STRING ? value.strings() : null;
    }

    private static boolean is(DataType dtype, DataType... any) {
      for (DataType d : any) {
        if (d == dtype) {
          return true;
        }
      }
      return false;
    }

    /** Writes {@code size} elements from {@code offset} as dimensions {@code depth..}. */
    void write(int depth, int offset, int size) throws IOException {
      if (depth == dims.length) {
        element(offset);
        return;
      }
      out.writeStartArray();
      long n = dims[depth];
      int step = n == 0 ? 0 : (int) (size / n);
      for (int i = 0; i < n; i++) {
        write(depth + 1, offset + i * step, step);
      }
      out.writeEndArray();
    }

    private void element(int i) throws IOException {
      if (floats != null) {
        out.writeNumber(floats[i]);
      } else if (doubles != null) {
        out.writeNumber(doubles[i]);
      } else if (ints != null) {
        out.writeNumber(ints[i]);
      } else if (longs != null) {
        out.writeNumber(longs[i]);
      } else if (bytes != null) {
        out.writeNumber(Byte.toUnsignedInt(bytes[i]));
      } else if (bools != null) {
        out.writeBoolean(bools[i]);
      } else if (strings != null) {
        if (binary) {
          out.writeStartObject();
          out.writeStringField(B64, Base64.getEncoder().encodeToString(strings[i]));
          out.writeEndObject();
        } else {
          out.writeString(new String(strings[i], StandardCharsets.UTF_8));
        }
      } else {
        throw new IllegalStateException("cannot encode " + value.describe());
      }
    }
  }
}
