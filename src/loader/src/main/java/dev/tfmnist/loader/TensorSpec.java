package dev.tfmnist.loader;

import java.util.Arrays;
import java.util.Objects;
import java.util.StringJoiner;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * One input or output of a signature: its key, the graph tensor behind it, its element type and
 * its shape as the signature declares them.
 *
 * @param key the name callers use, e.g. {@code xs} or {@code input_1}
 * @param tensorName the graph tensor behind it, e.g. {@code xs:0} or {@code
 *     serving_default_input_1:0}
 * @param dtype element type
 * @param shape dimensions, -1 where unknown; {@link Shape#unknown()} when even the rank is unknown
 */
public record TensorSpec(String key, String tensorName, DataType dtype, Shape shape) {

  /**
   * Checks that no component is null.
   *
   * @param key the name callers use
   * @param tensorName the graph tensor behind it
   * @param dtype element type
   * @param shape dimensions, -1 where unknown
   * @throws NullPointerException if a component is null
   */
  public TensorSpec {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(tensorName, "tensorName");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
  }

  /**
   * Equal when key, tensor name, dtype and shape are; shapes are compared by their dimension sizes,
   * as ndarray's Shape never equals a shape with unknown dimensions.
   *
   * @param o the object to compare with
   * @return whether {@code o} is an equal spec
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec other
        && key.equals(other.key)
        && tensorName.equals(other.tensorName)
        && dtype == other.dtype
        && sameShape(shape, other.shape);
  }

  /**
   * A hash consistent with {@link #equals(Object)}.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return Objects.hash(key, tensorName, dtype, format(shape));
  }

  static boolean sameShape(Shape a, Shape b) {
    return a.isUnknown() ? b.isUnknown() : !b.isUnknown() && Arrays.equals(a.asArray(), b.asArray());
  }

  static TensorSpec of(String key, TensorInfo info) {
    return new TensorSpec(key, info.getName(), info.getDtype(), shapeOf(info.getTensorShape()));
  }

  /** Honours {@code unknown_rank}, which TF Java's own Signature reads as a scalar. */
  static Shape shapeOf(TensorShapeProto proto) {
    if (proto.getUnknownRank()) {
      return Shape.unknown();
    }
    long[] dims = new long[proto.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      long size = proto.getDim(i).getSize();
      dims[i] = size < 0 ? Shape.UNKNOWN_SIZE : size;
    }
    return Shape.of(dims);
  }

  /**
   * Whether the signature declares the rank.
   *
   * @return false when even the number of dimensions is unknown
   */
  public boolean hasKnownRank() {
    return !shape.isUnknown();
  }

  /**
   * The number of dimensions.
   *
   * @return the rank, 0 for a scalar, -1 when unknown ({@link #hasKnownRank()} false)
   */
  public int rank() {
    return shape.numDimensions();
  }

  /**
   * Whether dimension 0 is unknown, so any batch size fits: what dynamic batching needs.
   *
   * @return true for a known rank of at least 1 with an unknown dimension 0
   */
  public boolean isBatched() {
    return hasKnownRank() && rank() >= 1 && shape.get(0) == Shape.UNKNOWN_SIZE;
  }

  /**
   * The dtype and shape as messages show them, e.g. {@code float32 [-1, 784]}.
   *
   * @return the description
   */
  public String describe() {
    return Dtypes.name(dtype) + " " + format(shape);
  }

  /**
   * A shape as messages show it: {@code [-1, 784]}, {@code []} for a scalar, {@code [?]} (any rank)
   * when the rank is unknown.
   *
   * @param shape any shape
   * @return the text
   */
  public static String format(Shape shape) {
    if (shape.isUnknown()) {
      return "[?]";
    }
    var joiner = new StringJoiner(", ", "[", "]");
    for (int i = 0; i < shape.numDimensions(); i++) {
      joiner.add(Long.toString(shape.get(i)));
    }
    return joiner.toString();
  }
}
