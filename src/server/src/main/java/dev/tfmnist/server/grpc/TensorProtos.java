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
    long size = shape.size();
    if (size > Integer.MAX_VALUE) {
      throw invalid(name, "has " + size + " elements, too many for one request");
    }
    int n = (int) size;
    ByteString content = proto.getTensorContent();
    boolean raw = !content.isEmpty();
    DataType dtype = proto.getDtype();
    switch (dtype) {
      case DT_FLOAT -> {
        float[] values = new float[n];
        if (raw) {
          buffer(name, content, n, 4).asFloatBuffer().get(values);
        } else {
          List<Float> list = proto.getFloatValList();
          fill(name, list.size(), n, i -> values[i] = list.get(i), () -> java.util.Arrays.fill(
              values, list.get(0)));
        }
        return TensorValue.ofFloats(shape, values);
      }
      case DT_DOUBLE -> {
        double[] values = new double[n];
        if (raw) {
          buffer(name, content, n, 8).asDoubleBuffer().get(values);
        } else {
          List<Double> list = proto.getDoubleValList();
          fill(name, list.size(), n, i -> values[i] = list.get(i), () -> java.util.Arrays.fill(
              values, list.get(0)));
        }
        return TensorValue.ofDoubles(shape, values);
      }
      case DT_HALF, DT_BFLOAT16 -> {
        short[] bits = new short[n];
        if (raw) {
          buffer(name, content, n, 2).asShortBuffer().get(bits);
        } else {
          List<Integer> list = proto.getHalfValList();
          fill(name, list.size(), n, i -> bits[i] = (short) (int) list.get(i),
              () -> java.util.Arrays.fill(bits, (short) (int) list.get(0)));
        }
        float[] values = new float[n];
        halfLayout(dtype, DataBuffers.of(bits, true, false)).read(values);
        return TensorValue.ofFloats(dtype, shape, values);
      }
      case DT_INT32 -> {
        int[] values = new int[n];
        if (raw) {
          buffer(name, content, n, 4).asIntBuffer().get(values);
        } else {
          List<Integer> list = proto.getIntValList();
          fill(name, list.size(), n, i -> values[i] = list.get(i), () -> java.util.Arrays.fill(
              values, list.get(0)));
        }
        return TensorValue.ofInts(shape, values);
      }
      case DT_INT64 -> {
        long[] values = new long[n];
        if (raw) {
          buffer(name, content, n, 8).asLongBuffer().get(values);
        } else {
          List<Long> list = proto.getInt64ValList();
          fill(name, list.size(), n, i -> values[i] = list.get(i), () -> java.util.Arrays.fill(
              values, list.get(0)));
        }
        return TensorValue.ofLongs(shape, values);
      }
      case DT_UINT8 -> {
        byte[] values = new byte[n];
        if (raw) {
          buffer(name, content, n, 1).get(values);
        } else {
          List<Integer> list = proto.getIntValList();
          fill(name, list.size(), n, i -> values[i] = (byte) (int) list.get(i),
              () -> java.util.Arrays.fill(values, (byte) (int) list.get(0)));
        }
        return TensorValue.ofUint8(shape, values);
      }
      case DT_BOOL -> {
        boolean[] values = new boolean[n];
        if (raw) {
          ByteBuffer bytes = buffer(name, content, n, 1);
          for (int i = 0; i < n; i++) {
            values[i] = bytes.get(i) != 0;
          }
        } else {
          List<Boolean> list = proto.getBoolValList();
          fill(name, list.size(), n, i -> values[i] = list.get(i), () -> java.util.Arrays.fill(
              values, list.get(0)));
        }
        return TensorValue.ofBooleans(shape, values);
      }
      case DT_STRING -> {
        if (raw) {
          throw invalid(name, "is a string tensor in tensor_content; send string_val");
        }
        byte[][] values = new byte[n][];
        List<ByteString> list = proto.getStringValList();
        fill(name, list.size(), n, i -> values[i] = list.get(i).toByteArray(),
            () -> java.util.Arrays.fill(values, list.get(0).toByteArray()));
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

  private static ByteBuffer buffer(String name, ByteString content, int n, int width) {
    if (content.size() != (long) n * width) {
      throw invalid(name, "has " + content.size() + " bytes of tensor_content; its shape needs "
          + (long) n * width);
    }
    return content.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private interface Setter {
    void set(int i);
  }

  /** n values from a typed list: as many as the shape holds, or one repeated (TF's rule). */
  private static void fill(String name, int count, int n, Setter each, Runnable repeatFirst) {
    if (count == n) {
      for (int i = 0; i < n; i++) {
        each.set(i);
      }
    } else if (count == 1 && n > 1) {
      repeatFirst.run();
    } else {
      throw invalid(name, "has " + count + " values; its shape holds " + n);
    }
  }

  private static ServingException invalid(String name, String problem) {
    return ServingException.invalidArgument("input " + name + " " + problem);
  }
}
