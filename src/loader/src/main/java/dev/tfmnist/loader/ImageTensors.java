package dev.tfmnist.loader;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * How {@link ImageClassifier} turns pixels into an image input's tensor and a run's outputs into
 * classifications: the conversion, apart from finding the signature and running it.
 */
final class ImageTensors {
  private ImageTensors() {}

  /**
   * The classifications of the first {@code count} images of a run: from class ids ([-1]) or
   * class scores ([-1, classes]).
   */
  static List<Classification> answers(TensorSpec output, int classes, Prediction prediction,
      int count) {
    TensorValue answer = prediction.output(output.key());
    long answered = answer.shape().numDimensions() == 0 ? 1 : answer.shape().get(0);
    if (answered < count) {
      throw new IllegalArgumentException("output \"" + output.key() + "\" answers " + answered
          + " images, expected " + count);
    }
    var results = new ArrayList<Classification>(count);
    if (output.rank() == 1) {
      long[] ids = answer.dtype() == DataType.DT_INT32
          ? java.util.Arrays.stream(answer.ints()).asLongStream().toArray() : answer.longs();
      for (int i = 0; i < count; i++) {
        results.add(Classification.ofClass((int) ids[i], classes));
      }
      return results;
    }
    float[] scores = answer.toFloats();
    for (int i = 0; i < count; i++) {
      var row = new float[classes];
      System.arraycopy(scores, i * classes, row, 0, classes);
      results.add(Classification.ofScores(row));
    }
    return results;
  }

  /** Images of {@code height x width} pixels in [0, 1] as the input's dtype and layout. */
  static TensorValue batch(TensorSpec input, int height, int width, float[] images, int count) {
    Shape tail = input.shape().tail();
    Shape shape = switch (input.rank()) {
      case 2 -> Shape.of(count, (long) height * width);
      case 3 -> Shape.of(count, height, width);
      default -> tail.get(0) == 1 && tail.get(2) != 1
          ? Shape.of(count, 1, height, width) : Shape.of(count, height, width, 1);
    };
    return switch (input.dtype()) {
      case DT_DOUBLE -> {
        double[] doubles = new double[images.length];
        for (int i = 0; i < images.length; i++) {
          doubles[i] = images[i];
        }
        yield TensorValue.ofDoubles(shape, doubles);
      }
      case DT_HALF -> TensorValue.ofFloats(DataType.DT_HALF, shape, images);
      case DT_UINT8 -> {
        byte[] bytes = new byte[images.length];
        for (int i = 0; i < images.length; i++) {
          bytes[i] = (byte) toByte(images[i]);
        }
        yield TensorValue.ofUint8(shape, bytes);
      }
      case DT_INT32 -> {
        int[] ints = new int[images.length];
        for (int i = 0; i < images.length; i++) {
          ints[i] = toByte(images[i]);
        }
        yield TensorValue.ofInts(shape, ints);
      }
      case DT_INT64 -> {
        long[] longs = new long[images.length];
        for (int i = 0; i < images.length; i++) {
          longs[i] = toByte(images[i]);
        }
        yield TensorValue.ofLongs(shape, longs);
      }
      default -> TensorValue.ofFloats(shape, images);
    };
  }

  /** A pixel in [0, 1] as 0..255, as MNIST stores it. */
  static int toByte(float pixel) {
    return Math.round(Math.max(0f, Math.min(1f, pixel)) * 255f);
  }
}
