package dev.tfmnist.loader;

import java.util.Locale;
import java.util.Set;
import org.tensorflow.proto.DataType;

/** The element types the loader converts to and from Java arrays, and their short names. */
public final class Dtypes {
  /** What {@link TensorValue} can hold; a signature using another type can still be run raw. */
  public static final Set<DataType> SUPPORTED = Set.of(
      DataType.DT_FLOAT, DataType.DT_DOUBLE, DataType.DT_HALF, DataType.DT_BFLOAT16,
      DataType.DT_INT32, DataType.DT_INT64, DataType.DT_UINT8, DataType.DT_BOOL,
      DataType.DT_STRING);

  private Dtypes() {}

  /**
   * NumPy-style names as Python users know them: float32, int64, string, ... Types without such a
   * name get TensorFlow's own without the {@code DT_} prefix, in lower case (bfloat16, bool).
   *
   * @param dtype any TensorFlow type
   * @return its short name
   */
  public static String name(DataType dtype) {
    return switch (dtype) {
      case DT_FLOAT -> "float32";
      case DT_DOUBLE -> "float64";
      case DT_HALF -> "float16";
      default -> dtype.name().startsWith("DT_")
          ? dtype.name().substring(3).toLowerCase(Locale.ROOT)
          : dtype.name().toLowerCase(Locale.ROOT);
    };
  }

  /**
   * Whether {@code dtype} is one of the floating-point types the loader converts.
   *
   * @param dtype any TensorFlow type
   * @return true for float32, float64, float16 and bfloat16
   */
  public static boolean isFloating(DataType dtype) {
    return dtype == DataType.DT_FLOAT || dtype == DataType.DT_DOUBLE
        || dtype == DataType.DT_HALF || dtype == DataType.DT_BFLOAT16;
  }

  /**
   * Whether {@code dtype} is one of the integer types the loader converts.
   *
   * @param dtype any TensorFlow type
   * @return true for int32, int64 and uint8; false for the integer types it does not convert
   */
  public static boolean isInteger(DataType dtype) {
    return dtype == DataType.DT_INT32 || dtype == DataType.DT_INT64 || dtype == DataType.DT_UINT8;
  }
}
