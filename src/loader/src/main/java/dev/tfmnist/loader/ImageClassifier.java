package dev.tfmnist.loader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * Classifies grayscale images with any image-classifier signature, whatever its names: the image
 * input is the one input shaped like an image ({@code [-1, H*W]}, {@code [-1, H, W]} or {@code
 * [-1, H, W, 1]}, float), the class scores the one output shaped {@code [-1, classes]}. When a
 * signature has several candidates, or none, {@link AmbiguousSignatureException} lists them and
 * the builder's {@link Builder#input} or {@link Builder#output} names the right one.
 *
 * <pre>{@code
 * var classifier = ImageClassifier.builder(model).imageSize(28, 28).classes(10).build();
 * Classification c = classifier.classify(pixels);   // 784 floats, row-major
 * }</pre>
 */
public final class ImageClassifier {
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
          this::isImage, imageShapes() + " float image");
      TensorSpec out = choose(sig, sig.outputs(), outputKey, AmbiguousSignatureException.Role.OUTPUT,
          this::isScores, "[-1, " + classes + "] float class scores");
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
      return "[-1, " + height * width + "], [-1, " + height + ", " + width + "] or [-1, " + height
          + ", " + width + ", 1]";
    }

    private boolean isImage(TensorSpec spec) {
      if (!(spec.dtype() == DataType.DT_FLOAT || spec.dtype() == DataType.DT_DOUBLE)
          || !spec.isBatched()) {
        return false;
      }
      Shape tail = spec.shape().tail();
      return switch (tail.numDimensions()) {
        case 1 -> fits(tail.get(0), (long) height * width);
        case 2 -> fits(tail.get(0), height) && fits(tail.get(1), width);
        case 3 -> fits(tail.get(0), height) && fits(tail.get(1), width) && fits(tail.get(2), 1);
        default -> false;
      };
    }

    private boolean isScores(TensorSpec spec) {
      return Dtypes.isFloating(spec.dtype()) && spec.isBatched() && spec.rank() == 2
          && spec.shape().get(1) == classes;
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

  /** Classifies one image of {@link #pixels()} floats, row-major, in the model's pixel scale. */
  public Classification classify(float[] image) {
    return classify(image, 1).get(0);
  }

  /** Classifies {@code count} images stored one after another in {@code images}. */
  public List<Classification> classify(float[] images, int count) {
    int pixels = pixels();
    if (count < 1 || (long) count * pixels != images.length) {
      throw new IllegalArgumentException("expected " + count + " images of " + pixels
          + " pixels (" + (long) count * pixels + " floats), got " + images.length + " floats");
    }
    Prediction prediction = predictor.predict(Map.of(input.key(), batch(images, count)));
    float[] scores = prediction.output(output.key()).toFloats();
    var results = new ArrayList<Classification>(count);
    for (int i = 0; i < count; i++) {
      var row = new float[classes];
      System.arraycopy(scores, i * classes, row, 0, classes);
      results.add(Classification.ofScores(row));
    }
    return results;
  }

  private TensorValue batch(float[] images, int count) {
    Shape shape = switch (input.rank()) {
      case 2 -> Shape.of(count, (long) height * width);
      case 3 -> Shape.of(count, height, width);
      default -> Shape.of(count, height, width, 1);
    };
    if (input.dtype() == DataType.DT_DOUBLE) {
      double[] doubles = new double[images.length];
      for (int i = 0; i < images.length; i++) {
        doubles[i] = images[i];
      }
      return TensorValue.wrap(DataType.DT_DOUBLE, shape, doubles);
    }
    return TensorValue.wrap(DataType.DT_FLOAT, shape, images.clone());
  }

  @Override
  public String toString() {
    return "ImageClassifier[" + predictor.signature().key() + ": " + input.key() + " "
        + input.describe() + " -> " + output.key() + " " + output.describe() + "]";
  }
}
