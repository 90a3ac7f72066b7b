package dev.tfmnist.testing;

import dev.tfmnist.data.MnistSplit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.io.FileUtils;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The models the tests load: a committed Python export with TrainMnist's signature, and small
 * models built here with TensorFlow Java, each once per test JVM.
 */
public final class TestModels {
  private static Path centroidModel;
  private static Path workDir;
  private static Path identityModel;
  private static Path inputFormsModel;
  private static Path examplesModel;

  private TestModels() {}

  /**
   * The committed SavedModel that tools/python made from the original program's TF1 graph, a
   * TensorFlow Serving base directory with version 1. Its signature is TrainMnist's: {@code
   * serving_default}, input {@code xs} float32 [-1, 784] (tensor {@code xs:0}), outputs {@code
   * probabilities} float32 [-1, 10] and {@code classes} int64 [-1]. Read-only: copy it to change it.
   */
  public static Path tf1Model() {
    return TestData.projectRoot().resolve("savedmodel/python-tf1");
  }

  /** The version directory of {@link #tf1Model()}: the SavedModel itself. */
  public static Path tf1ModelVersion() {
    return tf1Model().resolve("1");
  }

  /**
   * A second MNIST classifier, built with TF Java rather than trained, whose signatures look like
   * a TF2/Keras export rather than TrainMnist's: nearest class mean over the training images.
   *
   * <ul>
   *   <li>{@code serving_default}: input {@code image} float32 [-1, 28, 28, 1] (tensor {@code
   *       serving_default_image:0}); outputs {@code probs} float32 [-1, 10] and {@code digit} int64
   *       [-1], both of the multi-output op {@code StatefulPartitionedCall}.
   *   <li>{@code square}: input {@code pixels} float32 [-1, 28, 28]; outputs {@code logits} and
   *       {@code probs}, both [-1, 10], so which are the class scores is ambiguous.
   *   <li>{@code pair}: inputs {@code left} [-1, 28, 28, 1] and {@code right} [-1, 784], both
   *       image-shaped; output {@code probs} of their sum.
   * </ul>
   */
  public static synchronized Path centroidModel() {
    if (centroidModel == null) {
      Path dir = workDir().resolve("centroid").resolve("1");
      try {
        exportCentroidModel(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      centroidModel = dir;
    }
    return centroidModel;
  }

  /**
   * A model that hands its inputs back, one of each dtype the REST API encodes: signature {@code
   * serving_default} takes {@code f32} float32 [-1, 2], {@code f64} float64 [-1], {@code i32}
   * int32 [-1], {@code i64} int64 [-1], {@code u8} uint8 [-1], {@code flag} bool [-1] and {@code
   * text} string [-1], and returns each under {@code <key>_out}, the string twice: as {@code
   * text_out} and as {@code text_bytes} (base64 on the wire). Signature {@code scalar} takes
   * {@code x} float32 [] and returns {@code y} float32 [], which no batch dimension can split.
   */
  public static synchronized Path identityModel() {
    if (identityModel == null) {
      Path dir = workDir().resolve("identity").resolve("1");
      try {
        exportIdentityModel(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      identityModel = dir;
    }
    return identityModel;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void exportIdentityModel(Path dir) throws IOException {
    try (var graph = new Graph()) {
      var tf = Ops.create(graph);
      var builder = Signature.builder().key(Signature.DEFAULT_KEY);
      Object[][] inputs = {
          {"f32", TFloat32.class, Shape.of(-1, 2)},
          {"f64", org.tensorflow.types.TFloat64.class, Shape.of(-1)},
          {"i32", org.tensorflow.types.TInt32.class, Shape.of(-1)},
          {"i64", TInt64.class, Shape.of(-1)},
          {"u8", org.tensorflow.types.TUint8.class, Shape.of(-1)},
          {"flag", org.tensorflow.types.TBool.class, Shape.of(-1)},
          {"text", org.tensorflow.types.TString.class, Shape.of(-1)}};
      for (Object[] input : inputs) {
        String key = (String) input[0];
        Operand placeholder = tf.withName(key).placeholder((Class) input[1],
            org.tensorflow.op.core.Placeholder.shape((Shape) input[2]));
        builder.input(key, placeholder);
        builder.output(key + "_out", tf.withName(key + "_out").identity(placeholder));
        if (key.equals("text")) {
          builder.output("text_bytes", tf.withName("text_bytes").identity(placeholder));
        }
      }
      var x = tf.withName("x").placeholder(TFloat32.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.scalar()));
      var scalar = Signature.builder().key("scalar").input("x", x)
          .output("y", tf.withName("y").math.mul(x, tf.constant(2f))).build();
      try (var session = new Session(graph)) {
        Files.createDirectories(dir.getParent());
        SavedModelBundle.exporter(dir.toString())
            .withFunction(SessionFunction.create(builder.build(), session))
            .withFunction(SessionFunction.create(scalar, session))
            .export();
      }
    }
  }

  /**
   * The nearest-class-mean classifier of {@link #centroidModel()} behind one signature per image
   * input form a Python user's model may have, each answering {@code probs} float32 [-1, 10]
   * unless said otherwise:
   *
   * <ul>
   *   <li>{@code uint8}: {@code images} uint8 [-1, 28, 28], scaled to [0, 1] in the graph;
   *   <li>{@code int64}: {@code images} int64 [-1, 784], scaled in the graph;
   *   <li>{@code half}: {@code images} float16 [-1, 784];
   *   <li>{@code channels_first}: {@code images} float32 [-1, 1, 28, 28];
   *   <li>{@code png}: {@code image_bytes} a scalar string, one PNG decoded in the graph;
   *   <li>{@code ids}: {@code images} float32 [-1, 784], answering {@code classes} int64 [-1]
   *       only.
   * </ul>
   */
  public static synchronized Path inputFormsModel() {
    if (inputFormsModel == null) {
      Path dir = workDir().resolve("input-forms").resolve("1");
      try {
        exportInputFormsModel(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      inputFormsModel = dir;
    }
    return inputFormsModel;
  }

  private static void exportInputFormsModel(Path dir) throws IOException {
    float[] means = classMeans();
    try (var graph = new Graph()) {
      var tf = Ops.create(graph);
      var centroids = tf.withName("centroids").variable(
          tf.constant(Shape.of(10, 784), DataBuffers.of(means, true, false)));
      var scale = tf.constant(1f / 255f);
      var uint8 = tf.withName("uint8_images").placeholder(org.tensorflow.types.TUint8.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 28, 28)));
      var int64 = tf.withName("int64_images").placeholder(TInt64.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 784)));
      var half = tf.withName("half_images").placeholder(org.tensorflow.types.TFloat16.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 784)));
      var channelsFirst = tf.withName("chw_images").placeholder(TFloat32.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 1, 28, 28)));
      var png = tf.withName("png_bytes").placeholder(org.tensorflow.types.TString.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.scalar()));
      var flat = tf.withName("flat_images").placeholder(TFloat32.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 784)));

      var decoded = tf.image.decodePng(png, org.tensorflow.types.TUint8.class,
          org.tensorflow.op.image.DecodePng.channels(1L));
      var signatures = new java.util.LinkedHashMap<String, Signature>();
      signatures.put("uint8", Signature.builder().key("uint8").input("images", uint8)
          .output("probs", tf.nn.softmax(logits(tf,
              tf.math.mul(tf.dtypes.cast(uint8, TFloat32.class), scale), centroids))).build());
      signatures.put("int64", Signature.builder().key("int64").input("images", int64)
          .output("probs", tf.nn.softmax(logits(tf,
              tf.math.mul(tf.dtypes.cast(int64, TFloat32.class), scale), centroids))).build());
      signatures.put("half", Signature.builder().key("half").input("images", half)
          .output("probs", tf.nn.softmax(logits(tf, tf.dtypes.cast(half, TFloat32.class),
              centroids))).build());
      signatures.put("channels_first", Signature.builder().key("channels_first")
          .input("images", channelsFirst)
          .output("probs", tf.nn.softmax(logits(tf, channelsFirst, centroids))).build());
      signatures.put("png", Signature.builder().key("png").input("image_bytes", png)
          .output("probs", tf.nn.softmax(logits(tf,
              tf.math.mul(tf.dtypes.cast(decoded, TFloat32.class), scale), centroids))).build());
      signatures.put("ids", Signature.builder().key("ids").input("images", flat)
          .output("classes", tf.math.argMax(logits(tf, flat, centroids), tf.constant(1))).build());
      try (var session = new Session(graph)) {
        session.initialize();
        Files.createDirectories(dir.getParent());
        var exporter = SavedModelBundle.exporter(dir.toString());
        signatures.values().forEach(sig -> exporter.withFunction(SessionFunction.create(sig, session)));
        exporter.export();
      }
    }
  }

  /**
   * The nearest-class-mean classifier of {@link #centroidModel()} behind tf.Example inputs, as an
   * Estimator exported it for TensorFlow Serving's Classify and Regress. Every signature but
   * {@code pixels} takes {@code inputs}, serialized tf.Example protos (string [-1]) with the float
   * feature {@code pixels} (784 values in [0, 1]) and the optional int64 feature {@code offset}
   * (default 0):
   *
   * <ul>
   *   <li>{@code serving_default} (method tensorflow/serving/classify): {@code classes} string
   *       [-1, 10], the labels "0" to "9", and {@code scores} float32 [-1, 10], their
   *       probabilities;
   *   <li>{@code scores} (classify): {@code scores} only;
   *   <li>{@code regress} (method tensorflow/serving/regress): {@code outputs} float32 [-1], the
   *       digit plus {@code offset};
   *   <li>{@code pixels} (predict): input {@code images} float32 [-1, 784], output {@code scores}:
   *       no tf.Example input, so neither Classify nor Regress can use it.
   * </ul>
   */
  public static synchronized Path examplesModel() {
    if (examplesModel == null) {
      Path dir = workDir().resolve("examples").resolve("1");
      try {
        exportExamplesModel(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      examplesModel = dir;
    }
    return examplesModel;
  }

  private static void exportExamplesModel(Path dir) throws IOException {
    float[] means = classMeans();
    try (var graph = new Graph()) {
      var tf = Ops.create(graph);
      var centroids = tf.withName("centroids").variable(
          tf.constant(Shape.of(10, 784), DataBuffers.of(means, true, false)));
      var serialized = tf.withName("input_example_tensor").placeholder(
          org.tensorflow.types.TString.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1)));
      var none = tf.constant(Shape.of(0), DataBuffers.ofObjects(String.class, 0));
      var parsed = tf.io.parseExample(serialized, none, none,
          tf.constant(Shape.of(2), DataBuffers.ofObjects("offset", "pixels")), none,
          java.util.List.of(tf.constant(new long[] {0}), tf.constant(new float[0])), 0L,
          java.util.List.of(), java.util.List.of(), java.util.List.of(),
          java.util.List.of(Shape.of(1), Shape.of(784)));
      @SuppressWarnings("unchecked")
      var offset = (Operand<TInt64>) parsed.denseValues().get(0);
      @SuppressWarnings("unchecked")
      var pixels = (Operand<TFloat32>) parsed.denseValues().get(1);
      var logits = logits(tf, pixels, centroids);
      var scores = tf.withName("scores").nn.softmax(logits);
      var labels = tf.constant(Shape.of(1, 10),
          DataBuffers.ofObjects("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
      var classes = tf.withName("classes").tile(labels,
          tf.stack(java.util.List.of(tf.size(serialized), tf.constant(1))));
      var digit = tf.math.add(tf.math.argMax(logits, tf.constant(1)),
          tf.reshape(offset, tf.constant(new long[] {-1})));
      var outputs = tf.withName("outputs").dtypes.cast(digit, TFloat32.class);
      var images = tf.withName("images").placeholder(TFloat32.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 784)));
      String classify = "tensorflow/serving/classify";
      try (var session = new Session(graph)) {
        session.initialize();
        Files.createDirectories(dir.getParent());
        SavedModelBundle.exporter(dir.toString())
            .withFunction(SessionFunction.create(Signature.builder().key(Signature.DEFAULT_KEY)
                .methodName(classify).input("inputs", serialized)
                .output("classes", classes).output("scores", scores).build(), session))
            .withFunction(SessionFunction.create(Signature.builder().key("scores")
                .methodName(classify).input("inputs", serialized).output("scores", scores)
                .build(), session))
            .withFunction(SessionFunction.create(Signature.builder().key("regress")
                .methodName("tensorflow/serving/regress").input("inputs", serialized)
                .output("outputs", outputs).build(), session))
            .withFunction(SessionFunction.create(Signature.builder().key("pixels")
                .input("images", images)
                .output("scores", tf.nn.softmax(logits(tf, images, centroids))).build(),
                session))
            .export();
      }
    }
  }

  /** Class means of the training images, [10, 784]. */
  static float[] classMeans() {
    MnistSplit train = TestData.dataset().train();
    float[] sums = new float[10 * 784];
    int[] counts = new int[10];
    for (int i = 0; i < train.count(); i++) {
      int label = train.label(i);
      counts[label]++;
      for (int p = 0; p < 784; p++) {
        sums[label * 784 + p] += train.pixel(i, p);
      }
    }
    for (int c = 0; c < 10; c++) {
      for (int p = 0; p < 784; p++) {
        sums[c * 784 + p] /= counts[c];
      }
    }
    return sums;
  }

  private static void exportCentroidModel(Path dir) throws IOException {
    float[] means = classMeans();
    try (var graph = new Graph()) {
      var tf = Ops.create(graph);
      var centroids = tf.withName("centroids").variable(
          tf.constant(Shape.of(10, 784), DataBuffers.of(means, true, false)));
      var image = tf.withName("serving_default_image").placeholder(TFloat32.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 28, 28, 1)));
      var pixels = tf.withName("square_pixels").placeholder(TFloat32.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 28, 28)));

      Operand<TFloat32> logitsOfImage = logits(tf, image, centroids);
      var probs = tf.nn.softmax(logitsOfImage);
      var digit = tf.math.argMax(logitsOfImage, tf.constant(1));
      var outputs = tf.withName("StatefulPartitionedCall").identityN(
          java.util.List.of(probs, digit));

      Operand<TFloat32> logitsOfPixels = tf.withName("square_logits")
          .identity(logits(tf, pixels, centroids));
      var probsOfPixels = tf.withName("square_probs").nn.softmax(logitsOfPixels);

      var right = tf.withName("pair_right").placeholder(TFloat32.class,
          org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 784)));
      var pairProbs = tf.withName("pair_probs").nn.softmax(tf.math.add(
          logits(tf, image, centroids), logits(tf, right, centroids)));

      try (var session = new Session(graph)) {
        session.initialize();
        @SuppressWarnings("unchecked")
        var servingDefault = Signature.builder()
            .key(Signature.DEFAULT_KEY)
            .input("image", image)
            .output("probs", (Operand<TFloat32>) outputs.output().get(0))
            .output("digit", (Operand<TInt64>) outputs.output().get(1))
            .build();
        var square = Signature.builder()
            .key("square")
            .input("pixels", pixels)
            .output("logits", logitsOfPixels)
            .output("probs", probsOfPixels)
            .build();
        Files.createDirectories(dir.getParent());
        SavedModelBundle.exporter(dir.toString())
            .withFunction(SessionFunction.create(servingDefault, session))
            .withFunction(SessionFunction.create(square, session))
            .withFunction(SessionFunction.create(Signature.builder().key("pair")
                .input("left", image).input("right", right).output("probs", pairProbs).build(),
                session))
            .export();
      }
    }
  }

  /**
   * Nearest mean as logits: -|x - c|^2 / 10 up to a per-image constant, i.e.
   * (2 x.c - |c|^2) / 10; the scale only makes the softmax less peaked.
   */
  private static Operand<TFloat32> logits(Ops tf, Operand<TFloat32> images,
      Operand<TFloat32> centroids) {
    var flat = tf.reshape(images, tf.constant(new long[] {-1, 784}));
    var dot = tf.linalg.matMul(flat, centroids, org.tensorflow.op.linalg.MatMul.transposeB(true));
    var norms = tf.reduceSum(tf.math.square(centroids), tf.constant(1));
    return tf.math.div(tf.math.sub(tf.math.mul(tf.constant(2f), dot), norms), tf.constant(10f));
  }

  /** One directory for everything the tests write, deleted when the test JVM exits. */
  public static synchronized Path workDir() {
    if (workDir == null) {
      try {
        workDir = Files.createTempDirectory("serving-tests-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Path dir = workDir;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> FileUtils.deleteQuietly(dir.toFile())));
    }
    return workDir;
  }

  /** The first {@code n} test images, [n * 784], and their labels. */
  public static float[] testImages(int from, int n) {
    MnistSplit test = TestData.dataset().test();
    float[] images = new float[n * 784];
    test.copyImages(from, n, images);
    return images;
  }

  public static int[] testLabels(int from, int n) {
    MnistSplit test = TestData.dataset().test();
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = test.label(from + i);
    }
    return labels;
  }
}
