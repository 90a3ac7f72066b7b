package dev.tfmnist.loader;

import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/** Copies between {@link TensorValue}s and native tensors; the caller closes what it gets. */
final class TensorConversion {
  private TensorConversion() {}

  /** A new native tensor holding a copy of {@code value}; the caller must close it. */
  static Tensor toTensor(TensorValue value) {
    Shape shape = value.shape();
    Object data = value.data();
    // The buffers wrap the Java arrays read-only; tensorOf copies them into native memory.
    return switch (value.dtype()) {
      case DT_FLOAT -> TFloat32.tensorOf(shape, DataBuffers.of((float[]) data, true, false));
      case DT_HALF -> TFloat16.tensorOf(shape, DataBuffers.of((float[]) data, true, false));
      case DT_BFLOAT16 -> TBfloat16.tensorOf(shape, DataBuffers.of((float[]) data, true, false));
      case DT_DOUBLE -> TFloat64.tensorOf(shape, DataBuffers.of((double[]) data, true, false));
      case DT_INT32 -> TInt32.tensorOf(shape, DataBuffers.of((int[]) data, true, false));
      case DT_INT64 -> TInt64.tensorOf(shape, DataBuffers.of((long[]) data, true, false));
      case DT_UINT8 -> TUint8.tensorOf(shape, DataBuffers.of((byte[]) data, true, false));
      case DT_BOOL -> TBool.tensorOf(shape, DataBuffers.of((boolean[]) data, true, false));
      case DT_STRING -> TString.tensorOfBytes(shape, DataBuffers.of((byte[][]) data, true, false));
      default -> throw new IllegalArgumentException("unsupported dtype " + Dtypes.name(value.dtype()));
    };
  }

  /** A Java copy of {@code tensor}'s contents; the tensor stays the caller's to close. */
  static TensorValue toValue(Tensor tensor) {
    Shape shape = tensor.shape();
    long size = shape.size();
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("tensor of shape " + TensorSpec.format(shape)
          + " is too large for a Java array");
    }
    int n = (int) size;
    DataType dtype = tensor.dataType();
    Object data;
    switch (dtype) {
      case DT_FLOAT, DT_HALF, DT_BFLOAT16 -> {
        float[] values = new float[n];
        ((org.tensorflow.ndarray.FloatNdArray) tensor).copyTo(DataBuffers.of(values, false, false));
        data = values;
      }
      case DT_DOUBLE -> {
        double[] values = new double[n];
        ((TFloat64) tensor).copyTo(DataBuffers.of(values, false, false));
        data = values;
      }
      case DT_INT32 -> {
        int[] values = new int[n];
        ((TInt32) tensor).copyTo(DataBuffers.of(values, false, false));
        data = values;
      }
      case DT_INT64 -> {
        long[] values = new long[n];
        ((TInt64) tensor).copyTo(DataBuffers.of(values, false, false));
        data = values;
      }
      case DT_UINT8 -> {
        byte[] values = new byte[n];
        ((TUint8) tensor).copyTo(DataBuffers.of(values, false, false));
        data = values;
      }
      case DT_BOOL -> {
        boolean[] values = new boolean[n];
        ((TBool) tensor).copyTo(DataBuffers.of(values, false, false));
        data = values;
      }
      case DT_STRING -> {
        byte[][] values = new byte[n][];
        ((TString) tensor).asBytes().copyTo(DataBuffers.of(values, false, false));
        data = values;
      }
      default -> throw new IllegalArgumentException("output of dtype " + Dtypes.name(dtype)
          + " cannot be converted; supported are " + TensorValue.supportedNames()
          + " (use Predictor.run for raw tensors)");
    }
    return TensorValue.wrap(dtype, shape, data);
  }
}
