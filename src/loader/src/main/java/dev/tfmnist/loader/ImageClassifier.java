package dev.tfmnist.loader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * Classifies grayscale images with any image-classifier signature, whatever its names. The image
 * input is the one input shaped like an image: {@code [-1, H*W]}, {@code [-1, H, W]}, {@code [-1,
 * H, W, 1]} or {@code [-1, 1, H, W]} of float16/32/64 (pixels in [0, 1]) or uint8/int32/int64
 * (pixels 0..255); or encoded images, a string {@code [-1]} or scalar, fed as PNG. The answer is
 * the one output of class scores, {@code [-1, classes]} (probabilities or logits), or failing
 * that of class ids, integer {@code [-1]}. When a signature has several candidates, or none,
 * {@link AmbiguousSignatureException} lists them and the builder's {@link Builder#input} or
 * {@link Builder#output} names the right one.
 *
 * <pre>{@code
 * var classifier = ImageClassifier.builder(model).imageSize(28, 28).classes(10).build();
 * Classification c = classifier.classify(pixels);   // 784 floats, row-major
 * }</pre>
 */
public final class ImageClassifier {
  /** Pixel dtypes: floats hold [0, 1], integers 0..255. */
  private static final java.util.Set<DataType> PIXEL_TYPES = java.util.Set.of(DataType.DT_FLOAT,
      DataType.DT_DOUBLE, DataType.DT_HALF, DataType.DT_UINT8, DataType.DT_INT32,
      DataType.DT_INT64);
  private final Predictor predictor;
  private final TensorSpec input;
  private final TensorSpec output;
  private final int height;
  private final int width;
  private final int classes;

  private ImageClassifier(Builder b, TensorSpec input, TensorSpec output) {
    this.predictor = b.model.predictor(b.signature).withOutputs(output.key());
    this.input = input;
    this.output = output;
    this.height = b.height;
    this.width = b.width;
    this.classes = b.classes;
  }

  public static Builder builder(LoadedModel model) {
    return new Builder(model);
  }

  /** Which signature, image size, class count, and optionally which input and output. */
  public static final class Builder {
    private final LoadedModel model;
    private String signature = SignatureInfo.DEFAULT_KEY;
    private int height = 28;
    private int width = 28;
    private int classes = 10;
    private String inputKey;
    private String outputKey;
    private boolean singleImage;

    private Builder(LoadedModel model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    public Builder signature(String key) {
      this.signature = Objects.requireNonNull(key, "key");
      return this;
    }

    /** Default 28x28. */
    public Builder imageSize(int height, int width) {
      if (height < 1 || width < 1) {
        throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
      }
      this.height = height;
      this.width = width;
      return this;
    }

    /** Default 10. */
    public Builder classes(int classes) {
      if (classes < 2) {
        throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
      }
      this.classes = classes;
      return this;
    }

    /** Names the image input; null lets the classifier find it. */
    public Builder input(String key) {
      this.inputKey = key;
      return this;
    }

    /** Names the class-score output; null lets the classifier find it. */
    public Builder output(String key) {
      this.outputKey = key;
      return this;
    }

    /** Finds the input and output; throws {@link InvalidInputException} when they don't fit. */
    public ImageClassifier build() {
      SignatureInfo sig = model.signature(signature);
      TensorSpec in = choose(sig, sig.inputs(), inputKey, AmbiguousSignatureException.Role.INPUT,
          this::isImage, imageShapes() + " image (or encoded images, string [-1])");
      // one encoded image a call answers with a batch of one
      singleImage = in.rank() == 0;
      // class scores when there are any, else class ids: TrainMnist's export has both
      boolean anyScores = sig.outputs().values().stream().anyMatch(this::isScores);
      TensorSpec out = choose(sig, sig.outputs(), outputKey, AmbiguousSignatureException.Role.OUTPUT,
          outputKey != null ? this::isAnswer : anyScores ? this::isScores : this::isClassIds,
          "[-1, " + classes + "] class scores (or [-1] class ids)");
      var unfed = new ArrayList<>(sig.inputs().keySet());
      unfed.remove(in.key());
      if (!unfed.isEmpty()) {
        throw new InvalidInputException("signature " + sig.key() + " takes " + unfed
            + " besides the image \"" + in.key() + "\"; an image classifier feeds only the image");
      }
      return new ImageClassifier(this, in, out);
    }

    private TensorSpec choose(SignatureInfo sig, Map<String, TensorSpec> specs, String named,
        AmbiguousSignatureException.Role role, Predicate<TensorSpec> fits, String wanted) {
      String kind = role == AmbiguousSignatureException.Role.INPUT ? "input" : "output";
      var all = new ArrayList<>(specs.keySet());
      if (named != null) {
        TensorSpec spec = specs.get(named);
        if (spec == null) {
          throw new AmbiguousSignatureException("signature " + sig.key() + " has no " + kind
              + " \"" + named + "\"; its " + kind + "s are " + describe(specs.values()), role, all);
        }
        if (!fits.test(spec)) {
          throw new InvalidInputException(kind + " \"" + named + "\" of signature " + sig.key()
              + " is " + spec.describe() + ", expected " + wanted);
        }
        return spec;
      }
      var candidates = specs.values().stream().filter(fits).toList();
      if (candidates.size() == 1) {
        return candidates.get(0);
      }
      if (candidates.isEmpty()) {
        throw new AmbiguousSignatureException("signature " + sig.key() + " has no " + kind
            + " that fits " + wanted + "; its " + kind + "s are " + describe(specs.values()),
            role, all);
      }
      throw new AmbiguousSignatureException("signature " + sig.key() + " has "
          + candidates.size() + " " + kind + "s that fit " + wanted + ": "
          + describe(candidates) + "; name one", role,
          candidates.stream().map(TensorSpec::key).toList());
    }

    private static String describe(java.util.Collection<TensorSpec> specs) {
      var parts = new ArrayList<String>();
      specs.forEach(s -> parts.add("\"" + s.key() + "\" " + s.describe()));
      return String.join(", ", parts);
    }

    private String imageShapes() {
      return "[-1, " + height * width + "], [-1, " + height + ", " + width + "], [-1, " + height
          + ", " + width + ", 1] or [-1, 1, " + height + ", " + width + "]";
    }

    private boolean isImage(TensorSpec spec) {
      if (spec.dtype() == DataType.DT_STRING) {
        return spec.rank() == 0 || (spec.rank() == 1 && spec.isBatched());
      }
      if (!PIXEL_TYPES.contains(spec.dtype()) || !spec.isBatched()) {
        return false;
      }
      Shape tail = spec.shape().tail();
      return switch (tail.numDimensions()) {
        case 1 -> fits(tail.get(0), (long) height * width);
        case 2 -> fits(tail.get(0), height) && fits(tail.get(1), width);
        case 3 -> fits(tail.get(0), height) && fits(tail.get(1), width) && fits(tail.get(2), 1)
            || fits(tail.get(0), 1) && fits(tail.get(1), height) && fits(tail.get(2), width)
                && tail.get(0) == 1;
        default -> false;
      };
    }

    private boolean isScores(TensorSpec spec) {
      return Dtypes.isFloating(spec.dtype()) && isAnswerBatch(spec) && spec.rank() == 2
          && spec.shape().get(1) == classes;
    }

    private boolean isClassIds(TensorSpec spec) {
      return (spec.dtype() == DataType.DT_INT32 || spec.dtype() == DataType.DT_INT64)
          && isAnswerBatch(spec) && spec.rank() == 1;
    }

    private boolean isAnswerBatch(TensorSpec spec) {
      return spec.isBatched() || singleImage && spec.hasKnownRank() && spec.rank() >= 1
          && spec.shape().get(0) == 1;
    }

    private boolean isAnswer(TensorSpec spec) {
      return isScores(spec) || isClassIds(spec);
    }

    private static boolean fits(long dim, long wanted) {
      return dim == wanted || dim == Shape.UNKNOWN_SIZE;
    }
  }

  public Predictor predictor() {
    return predictor;
  }

  public TensorSpec input() {
    return input;
  }

  public TensorSpec output() {
    return output;
  }

  public int classes() {
    return classes;
  }

  /** Pixels per image, {@code height * width}. */
  public int pixels() {
    return height * width;
  }

  /** Classifies one image of {@link #pixels()} floats in [0, 1], row-major. */
  public Classification classify(float[] image) {
    return classify(image, 1).get(0);
  }

  /**
   * Classifies {@code count} images of floats in [0, 1] stored one after another in {@code
   * images}. They reach the model in its own form: scaled to 0..255 for integer inputs, PNG-encoded
   * for string inputs.
   */
  public List<Classification> classify(float[] images, int count) {
    int pixels = pixels();
    if (count < 1 || (long) count * pixels != images.length) {
      throw new IllegalArgumentException("expected " + count + " images of " + pixels
          + " pixels (" + (long) count * pixels + " floats), got " + images.length + " floats");
    }
    if (takesEncodedImages()) {
      var encoded = new byte[count][];
      for (int i = 0; i < count; i++) {
        encoded[i] = PngEncoder.gray8(width, height, images, i * pixels);
      }
      return classifyEncoded(encoded);
    }
    return answers(predictor.predict(Map.of(input.key(), batch(images, count))), count);
  }

  /** Whether the model takes encoded images (PNG, JPEG, ...) rather than pixels. */
  public boolean takesEncodedImages() {
    return input.dtype() == DataType.DT_STRING;
  }

  /**
   * Classifies image files as they are, their bytes fed to a model that takes encoded images
   * ({@link #takesEncodedImages()}); the model decodes them.
   */
  public List<Classification> classifyEncoded(byte[]... files) {
    if (!takesEncodedImages()) {
      throw new IllegalStateException("input \"" + input.key() + "\" is " + input.describe()
          + ", not encoded images: classify pixels instead");
    }
    if (input.rank() == 0) {  // one image a call
      var results = new ArrayList<Classification>(files.length);
      for (byte[] file : files) {
        results.addAll(answers(predictor.predict(Map.of(input.key(),
            TensorValue.ofStrings(Shape.scalar(), new byte[][] {file}))), 1));
      }
      return results;
    }
    return answers(predictor.predict(Map.of(input.key(),
        TensorValue.ofStrings(Shape.of(files.length), files))), files.length);
  }

  private List<Classification> answers(Prediction prediction, int count) {
    TensorValue answer = prediction.output(output.key());
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

  private TensorValue batch(float[] images, int count) {
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

  @Override
  public String toString() {
    return "ImageClassifier[" + predictor.signature().key() + ": " + input.key() + " "
        + input.describe() + " -> " + output.key() + " " + output.describe() + "]";
  }
}
