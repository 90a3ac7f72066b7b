package dev.tfmnist.model;

import static dev.tfmnist.model.GraphNames.*;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * The convolutional network of the original TF1 program ({@code shared/seed/seed_program.py}),
 * rebuilt with TensorFlow Java ops layer by layer. Shapes in the comments are {@code [batch, ...]};
 * op and variable names are listed in {@link GraphNames}.
 */
public final class MnistCnn {

  /**
   * Loss and optimizer nodes added for training; an inference graph has none of them.
   * {@code gradients} are the loss's gradients that {@code trainStep} applies, one per variable in
   * {@link GraphNames#VARIABLES} order.
   */
  public record Training(
      Placeholder<TFloat32> ys, Operand<TFloat32> crossEntropy, Op trainStep,
      Operand<TFloat32> accuracy, List<Output<?>> gradients) {}

  public final Placeholder<TFloat32> xs;
  public final PlaceholderWithDefault<TFloat32> keepProb;
  public final PlaceholderWithDefault<TInt64> dropoutSeed;
  public final Operand<TFloat32> logits;
  public final Operand<TFloat32> prediction;
  public final Operand<TInt64> classes;

  private final Graph graph;
  private final Ops tf;
  /** The four layers, input to output, for the backward pass. */
  private final List<Layer> layers = new ArrayList<>();
  private final long seed;
  private final Architecture architecture;
  private long nextSeed2 = 1;
  private int gradientCalls;

  /** The original program's network: max pooling, SAME padding. */
  public MnistCnn(Graph graph, long seed) {
    this(graph, seed, Architecture.ORIGINAL);
  }

  /**
   * Builds the inference graph, xs -> prediction; {@code seed} fixes the initial weights,
   * {@code architecture} the pooling and padding (shapes below are SAME's, VALID's after them).
   */
  public MnistCnn(Graph graph, long seed, Architecture architecture) {
    this.graph = graph;
    this.tf = Ops.create(graph);
    this.seed = seed;
    this.architecture = architecture;

    xs = tf.withName(XS).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 784)));
                                                                                        // [n, 784]
    keepProb = tf.withName(KEEP_PROB).placeholderWithDefault(tf.constant(1f), Shape.scalar());
                                                                                        // []
    dropoutSeed = tf.withName(DROPOUT_SEED)
        .placeholderWithDefault(tf.constant(new long[] {0, 0}), Shape.of(2));           // [2]
    var xImage = tf.withName(X_IMAGE).reshape(xs, dims(-1, 28, 28, 1));        // [n, 28, 28, 1]

    // conv1 layer
    var wConv1 = weightVariable(CONV1, 5, 5, 1, 32);         // patch 5x5, in size 1, out size 32
    var bConv1 = biasVariable(CONV1, 32);
    var hConv1 = layer(H_CONV1, conv2d(xImage, wConv1), wConv1, bConv1);       // [n, 28, 28, 32] VALID 24
    var hPool1 = pool2x2(H_POOL1, hConv1);                                     // [n, 14, 14, 32] VALID 12

    // conv2 layer
    var wConv2 = weightVariable(CONV2, 5, 5, 32, 64);        // patch 5x5, in size 32, out size 64
    var bConv2 = biasVariable(CONV2, 64);
    var hConv2 = layer(H_CONV2, conv2d(hPool1, wConv2), wConv2, bConv2);       // [n, 14, 14, 64] VALID 8
    var hPool2 = pool2x2(H_POOL2, hConv2);                                     // [n, 7, 7, 64]   VALID 4

    // fc1 layer
    int flat = (int) (hPool2.shape().size(1) * hPool2.shape().size(2) * 64);   // 7*7*64, VALID 4*4*64
    var wFc1 = weightVariable(FC1, flat, 1024);
    var bFc1 = biasVariable(FC1, 1024);
    var hPool2Flat = tf.withName(H_POOL2_FLAT).reshape(hPool2, dims(-1, flat)); // [n, 3136] VALID 1024
    var hFc1 = layer(H_FC1, tf.linalg.matMul(hPool2Flat, wFc1), wFc1, bFc1);   // [n, 1024]
    var hFc1Drop = dropout(hFc1);                                              // [n, 1024]

    // fc2 layer
    var wFc2 = weightVariable(FC2, 1024, 10);
    var bFc2 = biasVariable(FC2, 10);
    logits = layer(LOGITS, tf.linalg.matMul(hFc1Drop, wFc2), wFc2, bFc2);      // [n, 10]
    prediction = tf.withName(PREDICTION).nn.softmax(logits);                   // [n, 10]
    classes = tf.withName(CLASSES).math.argMax(prediction, tf.constant(1));    // [n]
  }

  public Architecture architecture() {
    return architecture;
  }

  /** Adds the loss, {@code cross_entropy}, and its Adam step, {@code train_step}. */
  public Training training(float learningRate, Loss loss) {
    var ys = tf.withName(YS).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 10))); // [n, 10]
    var perImage = switch (loss) {
      // the original: -sum(ys * log(prediction)), where log(0) = -inf can appear
      case ORIGINAL -> tf.math.neg(tf.sum(tf.math.mul(ys, tf.math.log(prediction)), tf.constant(1)));
      case STABLE -> tf.nn.softmaxCrossEntropyWithLogits(logits, ys).loss();
    };                                                                         // [n]
    var crossEntropy = tf.withName(CROSS_ENTROPY).math.mean(perImage, tf.constant(0));  // []
    var gradients = gradients(crossEntropy);
    var trainStep = AdamOptimizer.apply(graph, gradients, learningRate, TRAIN_STEP);
    var correct = tf.math.equal(classes, tf.math.argMax(ys, tf.constant(1)));  // [n]
    var accuracy = tf.withName(ACCURACY)
        .math.mean(tf.dtypes.cast(correct, TFloat32.class), tf.constant(0));            // []
    return new Training(ys, crossEntropy, trainStep, accuracy, gradients);
  }

  /**
   * {@code product + biases}, through a ReLU named {@code name}; the output layer ({@code logits})
   * has no ReLU and its Add is named {@code name}.
   */
  private Operand<TFloat32> layer(String name, Operand<TFloat32> product,
      Operand<TFloat32> weights, Operand<TFloat32> biases) {
    boolean output = name.equals(LOGITS);
    var sum = (output ? tf.withName(name) : tf).math.add(product, biases);
    var activation = output ? null : relu(name, sum);
    layers.add(new Layer(product, weights.asOutput(), biases.asOutput(), activation));
    return output ? sum : activation;
  }

  /** A layer as the backward pass sees it; {@code activation} is null for the output layer. */
  private record Layer(Operand<TFloat32> product, Output<?> weights, Output<?> biases,
      Operand<TFloat32> activation) {}

  /**
   * The gradient of {@code loss} for each variable, in {@link GraphNames#VARIABLES} order,
   * layer by layer from the output down.
   *
   * <p>Why not one {@code graph.addGradients(loss, variables)}: TensorFlow's C++ gradient
   * functions, which TensorFlow Java uses, read the pre-activation {@code product + biases} (the
   * ReLU's gradient takes the ReLU's input, the Add's takes the Shape of the product), so those
   * tensors get a second consumer and Grappler cannot fuse Conv2D/MatMul + Add + ReLU into one
   * oneDNN op, as it does for Python's graph. Here each layer's bias Add and ReLU are
   * differentiated by hand with the ops TensorFlow would use (ReluGrad on the ReLU's output,
   * which has the same sign; the bias gradient a Sum over the broadcast axes; the product's
   * gradient the incoming one, which the Add's gradient only copies), and TensorFlow
   * differentiates the rest: the same values, bit for bit, from a graph Grappler can fuse.
   */
  List<Output<?>> gradients(Operand<TFloat32> loss) {
    var byVariable = new java.util.HashMap<String, Output<?>>();
    Output<?> upstream = null;  // d loss / d (the layer's output), from the layer above
    for (int i = layers.size() - 1; i >= 0; i--) {
      var layer = layers.get(i);
      // the output layer's comes from the loss's own ops (softmax, log, mean) down to the logits
      Output<?> outputGradient = upstream != null ? upstream : addGradients(loss, null, logits.asOutput())[0];
      Output<?> sumGradient = layer.activation() == null ? outputGradient
          : tf.nn.reluGrad(cast(outputGradient), layer.activation()).asOutput();
      int rank = layer.product().shape().numDimensions();
      var batchAxes = new int[rank - 1];
      for (int a = 0; a < batchAxes.length; a++) {
        batchAxes[a] = a;
      }
      byVariable.put(layer.biases().op().name(),
          tf.sum(cast(sumGradient), tf.constant(batchAxes)).asOutput());
      // the product's gradient is the sum's: the weights', and the input's down to the layer
      // below's output (through pooling, reshaping and dropout)
      Output<?>[] targets = i == 0
          ? new Output<?>[] {layer.weights()}
          : new Output<?>[] {layer.weights(), layers.get(i - 1).activation().asOutput()};
      var found = addGradients(layer.product(), sumGradient, targets);
      byVariable.put(layer.weights().op().name(), found[0]);
      upstream = i == 0 ? null : found[1];
    }
    return GraphNames.VARIABLES.stream().<Output<?>>map(byVariable::get).toList();
  }

  /** TensorFlow's gradients of {@code y} for {@code x}, starting from {@code dy} (null: ones). */
  private Output<?>[] addGradients(Operand<?> y, Output<?> dy, Output<?>... x) {
    String prefix = "gradients" + (gradientCalls++ == 0 ? "" : "_" + (gradientCalls - 1));
    return graph.addGradients(prefix, new Output<?>[] {y.asOutput()}, x,
        dy == null ? null : new Output<?>[] {dy});
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> cast(Output<?> output) {
    return (Operand<TFloat32>) (Operand<?>) output;
  }

  private Operand<TFloat32> weightVariable(String layer, long... shape) {
    var initial = tf.random.truncatedNormal(tf.constant(shape), TFloat32.class,
        TruncatedNormal.seed(seed), TruncatedNormal.seed2(nextSeed2++));
    return NamedVariable.create(graph, tf, layer + "/" + WEIGHTS, tf.math.mul(initial, tf.constant(0.1f)));
  }

  private Operand<TFloat32> biasVariable(String layer, int size) {
    var initial = tf.fill(tf.constant(new int[] {size}), tf.constant(0.1f));
    return NamedVariable.create(graph, tf, layer + "/" + BIASES, initial);
  }

  private Operand<TInt32> dims(int... dims) {
    return tf.constant(dims);
  }

  private Operand<TFloat32> conv2d(Operand<TFloat32> x, Operand<TFloat32> w) {
    return tf.nn.conv2d(x, w, List.of(1L, 1L, 1L, 1L), architecture.padding().name());
  }

  /**
   * TF1's {@code tf.nn.max_pool} (or {@code avg_pool}): MaxPool or AvgPool with its window in
   * attributes, not the MaxPoolV2 that TensorFlow Java's {@code nn.maxPool} makes. oneDNN runs
   * MaxPool and its gradient, Eigen the V2 ones: MaxPoolGradV2 took 5.5 ms of a 31 ms training
   * step, MaxPoolGrad takes 1.0 ms, with the same values.
   */
  private Operand<TFloat32> pool2x2(String name, Operand<TFloat32> x) {
    String op = architecture.pooling().op;
    return graph.opBuilder(op, tf.withName(name).scope().makeOpName(op), tf.scope())
        .addInput(x.asOutput())
        .setAttr("ksize", new long[] {1, 2, 2, 1})
        .setAttr("strides", new long[] {1, 2, 2, 1})
        .setAttr("padding", architecture.padding().name())
        .build().<TFloat32>output(0);
  }

  private Operand<TFloat32> relu(String name, Operand<TFloat32> x) {
    return tf.withName(name).nn.relu(x);
  }

  /**
   * TF1's {@code tf.nn.dropout}: {@code x / keep_prob * floor(keep_prob + uniform[0, 1))}. The
   * uniform draw is stateless, seeded by {@code dropout_seed}, so a step's mask depends only on the
   * seed fed for it: evaluations in between and resumed runs do not shift it.
   */
  private Operand<TFloat32> dropout(Operand<TFloat32> x) {
    var uniform = tf.random.statelessRandomUniform(tf.shape(x), dropoutSeed, TFloat32.class);
    var mask = tf.math.floor(tf.math.add(keepProb, uniform));
    return tf.withName(H_FC1_DROP).math.mul(tf.math.div(x, keepProb), mask);
  }
}
