package dev.tfmnist.model;

import static dev.tfmnist.model.GraphNames.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorflow.Graph;

/**
 * A Keras {@code model.summary()}-style table of {@link MnistCnn}, read from a built graph: each
 * layer's output shape and parameter count; the article's argument for convolutions, for each
 * conv layer of this network (the weights a fully connected and a locally connected layer would
 * need for the same input and output shapes, against the shared filters'); and the memory the
 * article's rule of thumb predicts beside an estimate that also counts activations.
 */
public record ModelSummary(Architecture architecture, List<Row> rows, List<ConvWeights> convolutions) {

  /** One layer: its name and kind, the static output shape ({@code -1} = batch) and parameters. */
  public record Row(String layer, String type, long[] outputShape, long parameters) {
    String shapeText() {
      var dims = new ArrayList<String>();
      for (long dim : outputShape) {
        dims.add(dim < 0 ? "None" : Long.toString(dim));
      }
      return "(" + String.join(", ", dims) + ")";
    }

    long floatsPerImage() {
      long floats = 1;
      for (long dim : outputShape) {
        floats *= dim < 0 ? 1 : dim;
      }
      return floats;
    }
  }

  /**
   * The weights (biases aside) that one conv layer's mapping, {@code input} to {@code output}
   * ([height, width, channels]), needs when every output unit sees every input (fully connected),
   * when each sees only its own {@code kernel} window with weights of its own (locally connected),
   * and when every position shares one filter per output channel, as a convolution does.
   */
  public record ConvWeights(String layer, long[] input, long[] output, long[] kernel,
      long fullyConnected, long locallyConnected, long sharedFilters) {
    static ConvWeights of(String layer, long[] input, long[] output, long[] kernel) {
      long in = input[0] * input[1] * input[2];
      long units = output[0] * output[1] * output[2];
      long window = kernel[0] * kernel[1] * input[2];
      return new ConvWeights(layer, input, output, kernel, in * units, units * window,
          window * output[2]);
    }
  }

  private record Layer(String name, String type, String output, String variables) {}

  /** The conv layers: name, the op whose output is its input, the op of its output. */
  private static final List<String[]> CONVOLUTIONS = List.of(
      new String[] {CONV1, X_IMAGE, H_CONV1}, new String[] {CONV2, H_POOL1, H_CONV2});

  private static final List<Layer> LAYERS = List.of(
      new Layer(XS, "InputLayer", XS, null),
      new Layer(X_IMAGE, "Reshape", X_IMAGE, null),
      new Layer(CONV1, "Conv2D+ReLU", H_CONV1, CONV1),
      new Layer("pool1", "Pooling2D", H_POOL1, null),
      new Layer(CONV2, "Conv2D+ReLU", H_CONV2, CONV2),
      new Layer("pool2", "Pooling2D", H_POOL2, null),
      new Layer("flatten", "Reshape", H_POOL2_FLAT, null),
      new Layer(FC1, "Dense+ReLU", H_FC1, FC1),
      new Layer("dropout", "Dropout", H_FC1_DROP, null),
      new Layer(FC2, "Dense+Softmax", PREDICTION, FC2));

  /** Reads the layers of a graph that {@link MnistCnn} built with {@code architecture}. */
  public static ModelSummary of(Graph graph, Architecture architecture) {
    var rows = new ArrayList<Row>();
    String pooling = architecture.pooling() == Architecture.Pooling.MAX ? "Max" : "Average";
    for (var layer : LAYERS) {
      long[] shape = graph.operation(layer.output()).output(0).shape().asArray();
      long parameters = 0;
      if (layer.variables() != null) {
        parameters = graph.operation(layer.variables() + "/" + WEIGHTS).output(0).shape().size()
            + graph.operation(layer.variables() + "/" + BIASES).output(0).shape().size();
      }
      String type = layer.type().equals("Pooling2D") ? pooling + layer.type() : layer.type();
      rows.add(new Row(layer.name(), type, shape, parameters));
    }
    var convolutions = new ArrayList<ConvWeights>();
    for (String[] conv : CONVOLUTIONS) {
      long[] kernel = graph.operation(conv[0] + "/" + WEIGHTS).output(0).shape().asArray();
      convolutions.add(ConvWeights.of(conv[0], imageShape(graph, conv[1]),
          imageShape(graph, conv[2]), new long[] {kernel[0], kernel[1]}));
    }
    return new ModelSummary(architecture, List.copyOf(rows), List.copyOf(convolutions));
  }

  /** [height, width, channels] of an op's [batch, height, width, channels] output. */
  private static long[] imageShape(Graph graph, String op) {
    long[] shape = graph.operation(op).output(0).shape().asArray();
    return new long[] {shape[1], shape[2], shape[3]};
  }

  public long parameters() {
    return rows.stream().mapToLong(Row::parameters).sum();
  }

  /** The table, as Keras prints it. */
  public String table() {
    var out = new StringBuilder();
    String rule = "_".repeat(65);
    out.append("Model: \"mnist_cnn\" (").append(architecture).append(")\n").append(rule).append('\n');
    out.append(String.format(Locale.ROOT, " %-28s%-26s%s%n", "Layer (type)", "Output Shape", "Param #"));
    out.append("=".repeat(65)).append('\n');
    for (int i = 0; i < rows.size(); i++) {
      var row = rows.get(i);
      out.append(String.format(Locale.ROOT, " %-28s%-26s%,d%n",
          row.layer() + " (" + row.type() + ")", row.shapeText(), row.parameters()));
    }
    out.append("=".repeat(65)).append('\n');
    long parameters = parameters();
    out.append(String.format(Locale.ROOT, "Total params: %,d (%s)%n", parameters, bytes(4 * parameters)));
    out.append(String.format(Locale.ROOT, "Trainable params: %,d (%s)%n", parameters, bytes(4 * parameters)));
    out.append("Non-trainable params: 0 (0 B)\n").append(rule).append('\n');
    return out.toString();
  }

  /**
   * The article's argument for this network: per conv layer, the weights a fully connected, a
   * locally connected and the conv layer itself need for the same input and output shapes.
   */
  public String convolutionTable() {
    var out = new StringBuilder();
    out.append("Why convolutions: weights (biases aside) each conv layer's input -> output would need\n");
    out.append(String.format(Locale.ROOT, " %-7s%-24s%18s%20s%16s%n", "Layer", "Input -> output",
        "Fully connected", "Locally connected", "Shared filters"));
    for (var conv : convolutions) {
      out.append(String.format(Locale.ROOT, " %-7s%-24s%,18d%,20d%,16d%n", conv.layer(),
          dims(conv.input()) + " -> " + dims(conv.output()), conv.fullyConnected(),
          conv.locallyConnected(), conv.sharedFilters()));
    }
    out.append(" (fully connected: each output unit sees every input; locally connected: each its own "
        + convolutions.get(0).kernel()[0] + "x" + convolutions.get(0).kernel()[1]
        + " window; shared: one filter per output channel)\n");
    return out.toString();
  }

  private static String dims(long[] shape) {
    return shape[0] + "x" + shape[1] + "x" + shape[2];
  }

  /**
   * Memory for training at {@code batchSize}: the article's rule (4 bytes a weight forward, 8 more
   * backward, times the batch), and an estimate that counts what TensorFlow actually holds: the
   * weights with their gradients and Adam's two slots (16 bytes a parameter), and every layer's
   * activations for the batch, kept for the backward pass and matched by a gradient of the same size.
   */
  public String memoryEstimate(int batchSize) {
    long parameters = parameters();
    long articleRule = (long) batchSize * parameters * 12;
    long weights = 16 * parameters;
    long activations = 2L * 4 * batchSize * rows.stream().mapToLong(Row::floatsPerImage).sum();
    return String.format(Locale.ROOT,
        "Memory at batch %d: article's rule (batch x weights x 12 B) %s; weights, gradients and "
            + "Adam slots %s + activations %s = %s%n",
        batchSize, bytes(articleRule), bytes(weights), bytes(activations), bytes(weights + activations));
  }

  /** Bytes as Keras writes them: 12.49 MB, 3.93 GB (powers of 1024). */
  public static String bytes(long bytes) {
    String[] units = {"B", "KB", "MB", "GB", "TB"};
    double value = bytes;
    int unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.2f %s", value, units[unit]);
  }
}
