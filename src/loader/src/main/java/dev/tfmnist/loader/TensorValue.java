package dev.tfmnist.loader;

import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * A tensor's contents in Java memory: an element type, a fully known shape and the elements in
 * row-major order in one flat array. Inputs and outputs travel as these, so no native tensor
 * outlives a call unless a caller asks for raw tensors.
 *
 * <p>Immutable: factories copy the array they are given and accessors return copies. The arrays
 * by type: float32, float16 and bfloat16 use {@code float[]}; float64 {@code double[]}; int32
 * {@code int[]}; int64 {@code long[]}; uint8 {@code byte[]} (read unsigned); bool {@code
 * boolean[]}; string {@code byte[][]}, one byte string per element.
 *
 * <p>Being immutable, a value can be shared between threads and reused for any number of
 * predictions.
 */
public final class TensorValue {
  private final DataType dtype;
  private final Shape shape;
  private final Object data;

  private TensorValue(DataType dtype, Shape shape, Object data) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  /** Wraps {@code data} without copying; for arrays this package made itself. */
  static TensorValue wrap(DataType dtype, Shape shape, Object data) {
    Objects.requireNonNull(shape, "shape");
    if (shape.isUnknown() || shape.hasUnknownDimension()) {
      throw new IllegalArgumentException("a tensor value needs a fully known shape, got "
          + TensorSpec.format(shape));
    }
    Class<?> expected = arrayClass(dtype);
    if (data.getClass() != expected) {
      throw new IllegalArgumentException(Dtypes.name(dtype) + " values are held in a "
          + expected.getSimpleName() + ", got a " + data.getClass().getSimpleName());
    }
    long size = shape.size();
    int length = Array.getLength(data);
    if (size != length) {
      throw new IllegalArgumentException("shape " + TensorSpec.format(shape) + " holds " + size
          + " values, got " + length);
    }
    return new TensorValue(dtype, shape, data);
  }

  /** The array class that holds {@code dtype}'s elements. */
  static Class<?> arrayClass(DataType dtype) {
    return switch (dtype) {
      case DT_FLOAT, DT_HALF, DT_BFLOAT16 -> float[].class;
      case DT_DOUBLE -> double[].class;
      case DT_INT32 -> int[].class;
      case DT_INT64 -> long[].class;
      case DT_UINT8 -> byte[].class;
      case DT_BOOL -> boolean[].class;
      case DT_STRING -> byte[][].class;
      default -> throw new IllegalArgumentException("unsupported dtype " + Dtypes.name(dtype)
          + "; supported are " + supportedNames());
    };
  }

  static String supportedNames() {
    return Dtypes.SUPPORTED.stream().map(Dtypes::name).sorted().toList().toString();
  }

  /**
   * A float32 value.
   *
   * @param shape the shape, fully known
   * @param values the elements, row-major; copied
   * @return the value
   * @throws IllegalArgumentException if {@code shape} is not fully known or does not hold {@code
   *     values.length} elements
   * @throws NullPointerException if {@code shape} or {@code values} is null
   */
  public static TensorValue ofFloats(Shape shape, float[] values) {
    return wrap(DataType.DT_FLOAT, shape, values.clone());
  }

  /**
   * A float32, float16 or bfloat16 value given as floats. The floats are kept as given; float16
   * and bfloat16 round them when the value becomes a native tensor, at prediction time.
   *
   * @param dtype {@code DT_FLOAT}, {@code DT_HALF} or {@code DT_BFLOAT16}
   * @param shape the shape, fully known
   * @param values the elements, row-major; copied
   * @return the value
   * @throws IllegalArgumentException if {@code dtype} is not held as floats, or {@code shape} is
   *     not fully known or does not hold {@code values.length} elements
   * @throws NullPointerException if {@code shape} or {@code values} is null
   */
  public static TensorValue ofFloats(DataType dtype, Shape shape, float[] values) {
    if (arrayClass(dtype) != float[].class) {
      throw new IllegalArgumentException(Dtypes.name(dtype) + " is not held as floats");
    }
    return wrap(dtype, shape, values.clone());
  }

  /**
   * A float64 value.
   *
   * @param shape the shape, fully known
   * @param values the elements, row-major; copied
   * @return the value
   * @throws IllegalArgumentException if {@code shape} is not fully known or does not hold {@code
   *     values.length} elements
   * @throws NullPointerException if {@code shape} or {@code values} is null
   */
  public static TensorValue ofDoubles(Shape shape, double[] values) {
    return wrap(DataType.DT_DOUBLE, shape, values.clone());
  }

  /**
   * An int32 value.
   *
   * @param shape the shape, fully known
   * @param values the elements, row-major; copied
   * @return the value
   * @throws IllegalArgumentException if {@code shape} is not fully known or does not hold {@code
   *     values.length} elements
   * @throws NullPointerException if {@code shape} or {@code values} is null
   */
  public static TensorValue ofInts(Shape shape, int[] values) {
    return wrap(DataType.DT_INT32, shape, values.clone());
  }

  /**
   * An int64 value.
   *
   * @param shape the shape, fully known
   * @param values the elements, row-major; copied
   * @return the value
   * @throws IllegalArgumentException if {@code shape} is not fully known or does not hold {@code
   *     values.length} elements
   * @throws NullPointerException if {@code shape} or {@code values} is null
   */
  public static TensorValue ofLongs(Shape shape, long[] values) {
    return wrap(DataType.DT_INT64, shape, values.clone());
  }

  /**
   * A uint8 value, each byte read as 0..255 (so {@code (byte) 255} is 255).
   *
   * @param shape the shape, fully known
   * @param values the elements, row-major; copied
   * @return the value
   * @throws IllegalArgumentException if {@code shape} is not fully known or does not hold {@code
   *     values.length} elements
   * @throws NullPointerException if {@code shape} or {@code values} is null
   */
  public static TensorValue ofUint8(Shape shape, byte[] values) {
    return wrap(DataType.DT_UINT8, shape, values.clone());
  }

  /**
   * A bool value.
   *
   * @param shape the shape, fully known
   * @param values the elements, row-major; copied
   * @return the value
   * @throws IllegalArgumentException if {@code shape} is not fully known or does not hold {@code
   *     values.length} elements
   * @throws NullPointerException if {@code shape} or {@code values} is null
   */
  public static TensorValue ofBooleans(Shape shape, boolean[] values) {
    return wrap(DataType.DT_BOOL, shape, values.clone());
  }

  /**
   * A string value: TensorFlow strings are byte strings, e.g. encoded images or UTF-8 text.
   *
   * @param shape the shape, fully known
   * @param values the elements, row-major, one byte array each; copied deeply
   * @return the value
   * @throws IllegalArgumentException if {@code shape} is not fully known or does not hold {@code
   *     values.length} elements
   * @throws NullPointerException if {@code shape}, {@code values} or one of its elements is null
   */
  public static TensorValue ofStrings(Shape shape, byte[][] values) {
    byte[][] copy = new byte[values.length][];
    for (int i = 0; i < values.length; i++) {
      copy[i] = values[i].clone();
    }
    return wrap(DataType.DT_STRING, shape, copy);
  }

  /**
   * The element type.
   *
   * @return one of {@link Dtypes#SUPPORTED}
   */
  public DataType dtype() {
    return dtype;
  }

  /**
   * The shape.
   *
   * @return the shape, fully known
   */
  public Shape shape() {
    return shape;
  }

  /**
   * The number of elements.
   *
   * @return the product of the dimensions, 1 for a scalar
   */
  public int size() {
    return Array.getLength(data);
  }

  /**
   * Size of dimension 0: the batch size of a batched tensor.
   *
   * @return the size of dimension 0
   * @throws IllegalStateException if this is a scalar
   */
  public long rows() {
    if (shape.numDimensions() == 0) {
      throw new IllegalStateException("a scalar has no rows");
    }
    return shape.get(0);
  }

  /** The backing array, not copied; callers in this package promise not to write to it. */
  Object data() {
    return data;
  }

  /**
   * The elements of a float32, float16 or bfloat16 value.
   *
   * @return a copy of the elements, row-major
   * @throws IllegalStateException if the value is of another type; {@link #toFloats()} converts
   */
  public float[] floats() {
    return ((float[]) as(float[].class)).clone();
  }

  /**
   * The elements of a float64 value.
   *
   * @return a copy of the elements, row-major
   * @throws IllegalStateException if the value is of another type
   */
  public double[] doubles() {
    return ((double[]) as(double[].class)).clone();
  }

  /**
   * The elements of an int32 value.
   *
   * @return a copy of the elements, row-major
   * @throws IllegalStateException if the value is of another type
   */
  public int[] ints() {
    return ((int[]) as(int[].class)).clone();
  }

  /**
   * The elements of an int64 value.
   *
   * @return a copy of the elements, row-major
   * @throws IllegalStateException if the value is of another type
   */
  public long[] longs() {
    return ((long[]) as(long[].class)).clone();
  }

  /**
   * The elements of a uint8 value, as bytes; read them with {@link Byte#toUnsignedInt}.
   *
   * @return a copy of the elements, row-major
   * @throws IllegalStateException if the value is of another type
   */
  public byte[] uint8() {
    return ((byte[]) as(byte[].class)).clone();
  }

  /**
   * The elements of a bool value.
   *
   * @return a copy of the elements, row-major
   * @throws IllegalStateException if the value is of another type
   */
  public boolean[] booleans() {
    return ((boolean[]) as(boolean[].class)).clone();
  }

  /**
   * The elements of a string value, one byte array each.
   *
   * @return a deep copy of the elements, row-major
   * @throws IllegalStateException if the value is of another type
   */
  public byte[][] strings() {
    byte[][] strings = (byte[][]) as(byte[][].class);
    byte[][] copy = new byte[strings.length][];
    for (int i = 0; i < strings.length; i++) {
      copy[i] = strings[i].clone();
    }
    return copy;
  }

  /**
   * Any numeric or bool tensor as floats (true is 1, uint8 read unsigned), e.g. class scores
   * whatever their type. float64 and large int64 values lose precision.
   *
   * @return a new array of the elements, row-major
   * @throws IllegalStateException if this is a string value
   */
  public float[] toFloats() {
    if (data instanceof float[] f) {
      return f.clone();
    }
    float[] out = new float[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) number(i);
    }
    return out;
  }

  /**
   * Element {@code i} (row-major) of a numeric or bool tensor, as a double (true is 1, uint8 read
   * unsigned).
   *
   * @param i the element's index in row-major order
   * @return the element
   * @throws IllegalStateException if this is a string value
   * @throws ArrayIndexOutOfBoundsException if {@code i} is not in {@code 0..size() - 1}
   */
  public double number(int i) {
    if (data instanceof float[] f) {
      return f[i];
    } else if (data instanceof double[] d) {
      return d[i];
    } else if (data instanceof int[] n) {
      return n[i];
    } else if (data instanceof long[] n) {
      return n[i];
    } else if (data instanceof byte[] b) {
      return Byte.toUnsignedInt(b[i]);
    } else if (data instanceof boolean[] b) {
      return b[i] ? 1 : 0;
    }
    throw new IllegalStateException(Dtypes.name(dtype) + " tensor is not numeric");
  }

  private Object as(Class<?> arrayType) {
    if (data.getClass() != arrayType) {
      throw new IllegalStateException("a " + Dtypes.name(dtype) + " tensor is not held as "
          + arrayType.getSimpleName());
    }
    return data;
  }

  /**
   * Rows {@code from} (inclusive) to {@code to} (exclusive) along dimension 0.
   *
   * @param from the first row
   * @param to the end row, exclusive
   * @return a new value holding a copy of those rows, with {@code to - from} rows
   * @throws IllegalStateException if this is a scalar
   * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= rows()}
   */
  public TensorValue slice(long from, long to) {
    long rows = rows();
    Objects.checkFromToIndex(from, to, rows);
    int rowSize = (int) (shape.size() / Math.max(rows, 1));
    if (rows == 0) {
      rowSize = 0;
    }
    Object part = Array.newInstance(data.getClass().getComponentType(), (int) ((to - from) * rowSize));
    System.arraycopy(data, (int) (from * rowSize), part, 0, Array.getLength(part));
    long[] dims = shape.asArray();
    dims[0] = to - from;
    return new TensorValue(dtype, Shape.of(dims), part);
  }

  /**
   * Stacks {@code parts} along dimension 0; they must share the dtype and every other dimension.
   *
   * @param parts the values to stack, in order; none a scalar
   * @return a new value with the rows of all parts; the part itself when there is one
   * @throws IllegalArgumentException if {@code parts} is empty, or the parts differ in dtype or in
   *     a dimension other than 0, or one is a scalar
   */
  public static TensorValue concat(List<TensorValue> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("nothing to concatenate");
    }
    TensorValue first = parts.get(0);
    Shape rowShape = first.shape.tail();
    long rows = 0;
    int length = 0;
    for (TensorValue part : parts) {
      if (part.dtype != first.dtype || !part.shape.tail().equals(rowShape)
          || part.shape.numDimensions() == 0) {
        throw new IllegalArgumentException("cannot concatenate " + part.describe() + " to "
            + first.describe());
      }
      rows += part.rows();
      length += part.size();
    }
    if (parts.size() == 1) {
      return first;
    }
    Object all = Array.newInstance(first.data.getClass().getComponentType(), length);
    int offset = 0;
    for (TensorValue part : parts) {
      System.arraycopy(part.data, 0, all, offset, part.size());
      offset += part.size();
    }
    return new TensorValue(first.dtype, rowShape.prepend(rows), all);
  }

  /**
   * The dtype and shape as messages show them, e.g. {@code float32 [1, 784]}.
   *
   * @return the description
   */
  public String describe() {
    return Dtypes.name(dtype) + " " + TensorSpec.format(shape);
  }

  /**
   * Equal when dtype, shape and every element are.
   *
   * @param o the object to compare with
   * @return whether {@code o} is an equal value
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof TensorValue other
        && dtype == other.dtype
        && shape.equals(other.shape)
        && Arrays.deepEquals(new Object[] {data}, new Object[] {other.data});
  }

  /**
   * A hash of dtype, shape and elements, consistent with {@link #equals(Object)}.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return Objects.hash(dtype, shape, Arrays.deepHashCode(new Object[] {data}));
  }

  @Override
  public String toString() {
    return "TensorValue[" + describe() + "]";
  }
}
