package dev.tfmnist.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.ServingException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.ndarray.buffer.ShortDataBuffer;
import org.tensorflow.ndarray.buffer.layout.DataLayouts;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * TensorProto to {@link TensorValue} and back, for the dtypes the REST API handles: float32,
 * float64, float16, bfloat16, int32, int64, uint8, bool and string. Reads both encodings clients
 * send (the raw little-endian {@code tensor_content}, as {@code tf.make_tensor_proto} writes
 * numbers, and the typed {@code *_val} fields, where one value fills the whole shape); writes the
 * typed fields, as TensorFlow Serving does, so clients that read {@code float_val} work too.
 */
final class TensorProtos {
  private TensorProtos() {}

  /** Parses the serialized TensorProto of input {@code name}. */
  static TensorValue fromBytes(String name, ByteString bytes) {
    try {
      return fromProto(name, TensorProto.parseFrom(bytes));
    } catch (InvalidProtocolBufferException e) {
      throw invalid(name, "is not a valid TensorProto: " + e.getMessage());
    }
  }

  static TensorValue fromProto(String name, TensorProto proto) {
    Shape shape = shape(name, proto.getTensorShape());
    int n = elements(name, shape);
    ByteString content = proto.getTensorContent();
    boolean raw = !content.isEmpty();
    DataType dtype = proto.getDtype();
    if (raw && dtype != DataType.DT_STRING) {
      int width = switch (dtype) {
        case DT_DOUBLE, DT_INT64 -> 8;
        case DT_FLOAT, DT_INT32 -> 4;
        case DT_HALF, DT_BFLOAT16 -> 2;
        default -> 1;
      };
      if (content.size() != (long) n * width) {  // before anything is allocated for it
        throw invalid(name, "has " + content.size() + " bytes of tensor_content; its shape needs "
            + (long) n * width);
      }
    } else if (!raw && typedCount(proto, dtype) > n) {
      throw invalid(name, "has " + typedCount(proto, dtype) + " values; its shape holds " + n);
    }
    switch (dtype) {
      case DT_FLOAT -> {
        float[] values = new float[n];
        if (raw) {
          buffer(content).asFloatBuffer().get(values);
        } else {
          List<Float> list = proto.getFloatValList();
          fill(list.size(), n, (i, j) -> values[i] = list.get(j));
        }
        return TensorValue.ofFloats(shape, values);
      }
      case DT_DOUBLE -> {
        double[] values = new double[n];
        if (raw) {
          buffer(content).asDoubleBuffer().get(values);
        } else {
          List<Double> list = proto.getDoubleValList();
          fill(list.size(), n, (i, j) -> values[i] = list.get(j));
        }
        return TensorValue.ofDoubles(shape, values);
      }
      case DT_HALF, DT_BFLOAT16 -> {
        short[] bits = new short[n];
        if (raw) {
          buffer(content).asShortBuffer().get(bits);
        } else {
          List<Integer> list = proto.getHalfValList();
          fill(list.size(), n, (i, j) -> bits[i] = (short) (int) list.get(j));
        }
        float[] values = new float[n];
        halfLayout(dtype, DataBuffers.of(bits, true, false)).read(values);
        return TensorValue.ofFloats(dtype, shape, values);
      }
      case DT_INT32 -> {
        int[] values = new int[n];
        if (raw) {
          buffer(content).asIntBuffer().get(values);
        } else {
          List<Integer> list = proto.getIntValList();
          fill(list.size(), n, (i, j) -> values[i] = list.get(j));
        }
        return TensorValue.ofInts(shape, values);
      }
      case DT_INT64 -> {
        long[] values = new long[n];
        if (raw) {
          buffer(content).asLongBuffer().get(values);
        } else {
          List<Long> list = proto.getInt64ValList();
          fill(list.size(), n, (i, j) -> values[i] = list.get(j));
        }
        return TensorValue.ofLongs(shape, values);
      }
      case DT_UINT8 -> {
        byte[] values = new byte[n];
        if (raw) {
          buffer(content).get(values);
        } else {
          List<Integer> list = proto.getIntValList();
          fill(list.size(), n, (i, j) -> values[i] = (byte) (int) list.get(j));
        }
        return TensorValue.ofUint8(shape, values);
      }
      case DT_BOOL -> {
        boolean[] values = new boolean[n];
        if (raw) {
          ByteBuffer bytes = buffer(content);
          for (int i = 0; i < n; i++) {
            values[i] = bytes.get(i) != 0;
          }
        } else {
          List<Boolean> list = proto.getBoolValList();
          fill(list.size(), n, (i, j) -> values[i] = list.get(j));
        }
        return TensorValue.ofBooleans(shape, values);
      }
      case DT_STRING -> {
        if (raw) {
          throw invalid(name, "is a string tensor in tensor_content; send string_val");
        }
        byte[][] values = new byte[n][];
        List<ByteString> list = proto.getStringValList();
        fill(list.size(), n, (i, j) -> values[i] = list.get(j).toByteArray());
        for (int i = 0; i < n; i++) {
          if (values[i] == null) {
            values[i] = new byte[0];
          }
        }
        return TensorValue.ofStrings(shape, values);
      }
      default -> throw invalid(name, "has dtype " + dtype.name() + ", which this server does not"
          + " convert; it takes DT_FLOAT, DT_DOUBLE, DT_HALF, DT_BFLOAT16, DT_INT32, DT_INT64,"
          + " DT_UINT8, DT_BOOL and DT_STRING");
    }
  }

  /** A prediction's output as a TensorProto with typed values, as TF Serving answers. */
  static TensorProto toProto(TensorValue value) {
    var proto = TensorProto.newBuilder().setDtype(value.dtype());
    var shape = TensorShapeProto.newBuilder();
    for (long dim : value.shape().asArray()) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim));
    }
    proto.setTensorShape(shape);
    switch (value.dtype()) {
      case DT_FLOAT -> {
        for (float v : value.floats()) {
          proto.addFloatVal(v);
        }
      }
      case DT_DOUBLE -> {
        for (double v : value.doubles()) {
          proto.addDoubleVal(v);
        }
      }
      case DT_HALF, DT_BFLOAT16 -> {
        float[] floats = value.floats();
        short[] bits = new short[floats.length];
        halfLayout(value.dtype(), DataBuffers.of(bits, false, false)).write(floats);
        for (short b : bits) {
          proto.addHalfVal(b & 0xffff);
        }
      }
      case DT_INT32 -> {
        for (int v : value.ints()) {
          proto.addIntVal(v);
        }
      }
      case DT_INT64 -> {
        for (long v : value.longs()) {
          proto.addInt64Val(v);
        }
      }
      case DT_UINT8 -> {
        for (byte v : value.uint8()) {
          proto.addIntVal(v & 0xff);
        }
      }
      case DT_BOOL -> {
        for (boolean v : value.booleans()) {
          proto.addBoolVal(v);
        }
      }
      case DT_STRING -> {
        for (byte[] v : value.strings()) {
          proto.addStringVal(ByteString.copyFrom(v));
        }
      }
      default -> throw new IllegalArgumentException("cannot convert " + value.dtype());
    }
    return proto.build();
  }

  private static FloatDataBuffer halfLayout(DataType dtype, ShortDataBuffer bits) {
    return dtype == DataType.DT_HALF ? DataLayouts.FLOAT16.applyTo(bits)
        : DataLayouts.BFLOAT16.applyTo(bits);
  }

  private static Shape shape(String name, TensorShapeProto proto) {
    if (proto.getUnknownRank()) {
      throw invalid(name, "has an unknown rank; send its shape");
    }
    long[] dims = new long[proto.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = proto.getDim(i).getSize();
      if (dims[i] < 0) {
        throw invalid(name, "has dimension " + i + " of size " + dims[i]);
      }
    }
    return Shape.of(dims);
  }

  /** The element count of {@code shape}, which must fit one Java array. */
  private static int elements(String name, Shape shape) {
    long size = 1;
    try {
      for (long dim : shape.asArray()) {
        size = Math.multiplyExact(size, dim);
      }
    } catch (ArithmeticException e) {
      size = Long.MAX_VALUE;
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw invalid(name, "has shape " + java.util.Arrays.toString(shape.asArray())
          + ", too many elements for one request");
    }
    return (int) size;
  }

  private static int typedCount(TensorProto proto, DataType dtype) {
    return switch (dtype) {
      case DT_FLOAT -> proto.getFloatValCount();
      case DT_DOUBLE -> proto.getDoubleValCount();
      case DT_HALF, DT_BFLOAT16 -> proto.getHalfValCount();
      case DT_INT32, DT_UINT8 -> proto.getIntValCount();
      case DT_INT64 -> proto.getInt64ValCount();
      case DT_BOOL -> proto.getBoolValCount();
      case DT_STRING -> proto.getStringValCount();
      default -> 0;
    };
  }

  /** The raw content, its length already checked against the shape. */
  private static ByteBuffer buffer(ByteString content) {
    return content.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private interface Setter {
    /** Element {@code to} gets the list's value {@code from}. */
    void set(int to, int from);
  }

  /**
   * n values from a typed list, by TensorFlow's rule (Tensor::FromProto): as many as the shape
   * holds; or fewer, the last one repeated to fill the shape; or none, zeros (the arrays' own).
   * More than the shape holds was refused before.
   */
  private static void fill(int count, int n, Setter each) {
    if (count == 0) {
      return;  // a new Java array is zeros or false already; strings are made empty by the caller
    }
    for (int i = 0; i < n; i++) {
      each.set(i, Math.min(i, count - 1));
    }
  }

  private static ServingException invalid(String name, String problem) {
    return ServingException.invalidArgument("input " + name + " " + problem);
  }
}
