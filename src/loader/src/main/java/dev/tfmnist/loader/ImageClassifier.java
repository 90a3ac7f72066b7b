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
 *
 * <p>A classifier is immutable and safe to share between threads. It does not own the model: it
 * works as long as the model is open, and the model's owner closes it.
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

  /**
   * Starts a classifier for {@code model}: {@code serving_default}, 28x28 images, 10 classes,
   * input and output found by their shapes.
   *
   * @param model the model to classify with; the classifier does not close it
   * @return a new builder
   * @throws NullPointerException if {@code model} is null
   */
  public static Builder builder(LoadedModel model) {
    return new Builder(model);
  }

  /**
   * Which signature, image size, class count, and optionally which input and output. Each setter
   * returns this builder; nothing is checked against the model until {@link #build()}.
   */
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

    /**
     * The signature to run; default {@code serving_default}.
     *
     * @param key the signature key
     * @return this builder
     * @throws NullPointerException if {@code key} is null
     */
    public Builder signature(String key) {
      this.signature = Objects.requireNonNull(key, "key");
      return this;
    }

    /**
     * The size of the images the model takes; default 28x28. Pixel arrays given to {@link
     * ImageClassifier#classify(float[])} have {@code height * width} elements.
     *
     * @param height rows of pixels
     * @param width columns of pixels
     * @return this builder
     * @throws IllegalArgumentException if either is less than 1
     */
    public Builder imageSize(int height, int width) {
      if (height < 1 || width < 1) {
        throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
      }
      this.height = height;
      this.width = width;
      return this;
    }

    /**
     * How many classes the model scores; default 10. The class-score output must have this many
     * columns.
     *
     * @param classes the class count
     * @return this builder
     * @throws IllegalArgumentException if {@code classes} is less than 2
     */
    public Builder classes(int classes) {
      if (classes < 2) {
        throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
      }
      this.classes = classes;
      return this;
    }

    /**
     * Names the image input; null (the default) lets the classifier find it.
     *
     * @param key the input key, or null
     * @return this builder
     */
    public Builder input(String key) {
      this.inputKey = key;
      return this;
    }

    /**
     * Names the class-score (or class-id) output; null (the default) lets the classifier find it.
     *
     * @param key the output key, or null
     * @return this builder
     */
    public Builder output(String key) {
      this.outputKey = key;
      return this;
    }

    /**
     * Finds the input and output; throws {@link InvalidInputException} when they don't fit.
     * Without a named output, a signature with class scores is answered by them, one without by
     * its class ids.
     *
     * @return the classifier
     * @throws SignatureNotFoundException if the model has no such signature
     * @throws AmbiguousSignatureException if several inputs could be the image or several outputs
     *     the answer, or none could, or a named input or output does not exist
     * @throws InvalidInputException if a named input or output has the wrong dtype or shape, or the
     *     signature takes inputs besides the image
     */
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

  /**
   * The predictor the classifier runs: its signature, fetching only the chosen output.
   *
   * @return the predictor
   */
  public Predictor predictor() {
    return predictor;
  }

  /**
   * The image input that was chosen.
   *
   * @return its spec
   */
  public TensorSpec input() {
    return input;
  }

  /**
   * The output that was chosen: class scores {@code [-1, classes]}, or class ids {@code [-1]}.
   *
   * @return its spec
   */
  public TensorSpec output() {
    return output;
  }

  /**
   * How many classes the model scores, as the builder was told.
   *
   * @return the class count
   */
  public int classes() {
    return classes;
  }

  /**
   * Pixels per image, {@code height * width}.
   *
   * @return the number of floats one image takes
   */
  public int pixels() {
    return height * width;
  }

  /**
   * Classifies one image of {@link #pixels()} floats in [0, 1], row-major.
   *
   * @param image the pixels; not modified
   * @return the classification; without probabilities when the model answers with class ids
   * @throws IllegalArgumentException if {@code image} does not hold {@link #pixels()} floats, or
   *     the model answers with a class id outside {@code 0..classes() - 1}
   * @throws PredictionException if TensorFlow fails running the signature
   * @throws IllegalStateException if the model is closed
   */
  public Classification classify(float[] image) {
    return classify(image, 1).get(0);
  }

  /**
   * Classifies {@code count} images of floats in [0, 1] stored one after another in {@code
   * images}. They reach the model in its own form: scaled to 0..255 for integer inputs, PNG-encoded
   * for string inputs. One run classifies them all, unless the model takes one encoded image a run.
   *
   * @param images {@code count * pixels()} floats, one image after another; not modified
   * @param count how many images there are
   * @return one classification per image, in order
   * @throws IllegalArgumentException if {@code count} is less than 1 or {@code images} does not
   *     hold {@code count} images, or the model answers with a class id outside
   *     {@code 0..classes() - 1}
   * @throws PredictionException if TensorFlow fails running the signature
   * @throws IllegalStateException if the model is closed
   */
  public List<Classification> classify(float[] images, int count) {
    checkImages(images, count);
    if (takesEncodedImages()) {
      return classifyEncoded(encode(images, count));
    }
    return classifications(predictor.predict(inputs(images, count)), count);
  }

  /**
   * The inputs {@link #classify(float[], int)} feeds for {@code count} images, for a caller that
   * runs {@link #predictor()} itself (through a server's batcher, say) and reads the answer with
   * {@link #classifications}: the pixels in the model's own form, scaled to 0..255 for integer
   * inputs, PNG-encoded for string inputs.
   *
   * @param images {@code count * pixels()} floats in [0, 1], one image after another; not
   *     modified
   * @param count how many images there are
   * @return the one input the classifier feeds, by its key
   * @throws IllegalArgumentException if {@code count} is less than 1 or {@code images} does not
   *     hold {@code count} images, or the model takes one encoded image a run and {@code count} is
   *     more than 1
   */
  public Map<String, TensorValue> inputs(float[] images, int count) {
    checkImages(images, count);
    if (takesEncodedImages()) {
      return encodedInputs(encode(images, count));
    }
    return Map.of(input.key(), ImageTensors.batch(input, height, width, images, count));
  }

  /**
   * The inputs {@link #classifyEncoded} feeds for encoded image files (PNG, JPEG, ...), for a
   * caller that runs {@link #predictor()} itself and reads the answer with {@link
   * #classifications}.
   *
   * @param files the files' bytes, one image each
   * @return the one input the classifier feeds, by its key
   * @throws IllegalStateException if the model takes pixels, not encoded images
   * @throws IllegalArgumentException if there is no file, or the model takes one encoded image a
   *     run and there are several
   */
  public Map<String, TensorValue> encodedInputs(byte[]... files) {
    if (!takesEncodedImages()) {
      throw new IllegalStateException("input \"" + input.key() + "\" is " + input.describe()
          + ", not encoded images: classify pixels instead");
    }
    if (files.length < 1 || input.rank() == 0 && files.length > 1) {
      throw new IllegalArgumentException("input \"" + input.key() + "\" " + input.describe()
          + " takes " + (input.rank() == 0 ? "one encoded image" : "encoded images")
          + " a run, got " + files.length);
    }
    return Map.of(input.key(), input.rank() == 0
        ? TensorValue.ofStrings(Shape.scalar(), files)
        : TensorValue.ofStrings(Shape.of(files.length), files));
  }

  /**
   * The classifications in a run of {@link #predictor()} on {@code count} images, as {@link
   * #classify(float[], int)} returns them: scores of the chosen output, or its class ids.
   *
   * @param prediction what the run answered; it holds the chosen output
   * @param count how many images the run was fed
   * @return one classification per image, in order
   * @throws IllegalArgumentException if the prediction answers fewer than {@code count} images,
   *     or a class id outside {@code 0..classes() - 1}
   */
  public List<Classification> classifications(Prediction prediction, int count) {
    return ImageTensors.answers(output, classes, prediction, count);
  }

  private void checkImages(float[] images, int count) {
    int pixels = pixels();
    if (count < 1 || (long) count * pixels != images.length) {
      throw new IllegalArgumentException("expected " + count + " images of " + pixels
          + " pixels (" + (long) count * pixels + " floats), got " + images.length + " floats");
    }
  }

  private byte[][] encode(float[] images, int count) {
    var encoded = new byte[count][];
    for (int i = 0; i < count; i++) {
      encoded[i] = PngEncoder.gray8(width, height, images, i * pixels());
    }
    return encoded;
  }

  /**
   * Whether the model takes encoded images (PNG, JPEG, ...) rather than pixels.
   *
   * @return true when the image input is a string tensor
   */
  public boolean takesEncodedImages() {
    return input.dtype() == DataType.DT_STRING;
  }

  /**
   * Classifies image files as they are, their bytes fed to a model that takes encoded images
   * ({@link #takesEncodedImages()}); the model decodes them. The image size of the builder is not
   * checked: the model sees the files as they are.
   *
   * @param files the files' bytes, one image each
   * @return one classification per file, in order
   * @throws IllegalStateException if the model takes pixels, not encoded images, or the model is
   *     closed
   * @throws PredictionException if TensorFlow fails, e.g. cannot decode a file
   * @throws IllegalArgumentException if the model answers with a class id outside {@code
   *     0..classes() - 1}
   */
  public List<Classification> classifyEncoded(byte[]... files) {
    if (files.length == 0 && takesEncodedImages()) {
      return List.of();
    }
    if (takesEncodedImages() && input.rank() == 0) {  // one image a call
      var results = new ArrayList<Classification>(files.length);
      for (byte[] file : files) {
        results.addAll(ImageTensors.answers(output, classes,
            predictor.predict(encodedInputs(file)), 1));
      }
      return results;
    }
    return ImageTensors.answers(output, classes, predictor.predict(encodedInputs(files)),
        files.length);
  }

  @Override
  public String toString() {
    return "ImageClassifier[" + predictor.signature().key() + ": " + input.key() + " "
        + input.describe() + " -> " + output.key() + " " + output.describe() + "]";
  }
}
