package dev.tfmnist.model;

import static dev.tfmnist.model.GraphNames.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorflow.Graph;

/**
 * A Keras {@code model.summary()}-style table of {@link MnistCnn}, read from a built graph: each
 * layer's output shape and parameter count, plus the memory the original article's rule of thumb
 * predicts and an estimate that also counts activations.
 */
public record ModelSummary(List<Row> rows) {

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

  private record Layer(String name, String type, String output, String variables) {}

  private static final List<Layer> LAYERS = List.of(
      new Layer(XS, "InputLayer", XS, null),
      new Layer(X_IMAGE, "Reshape", X_IMAGE, null),
      new Layer(CONV1, "Conv2D+ReLU", H_CONV1, CONV1),
      new Layer("pool1", "MaxPooling2D", H_POOL1, null),
      new Layer(CONV2, "Conv2D+ReLU", H_CONV2, CONV2),
      new Layer("pool2", "MaxPooling2D", H_POOL2, null),
      new Layer("flatten", "Reshape", H_POOL2_FLAT, null),
      new Layer(FC1, "Dense+ReLU", H_FC1, FC1),
      new Layer("dropout", "Dropout", H_FC1_DROP, null),
      new Layer(FC2, "Dense+Softmax", PREDICTION, FC2));

  /** Reads the layers of a graph that {@link MnistCnn} built. */
  public static ModelSummary of(Graph graph) {
    var rows = new ArrayList<Row>();
    for (var layer : LAYERS) {
      long[] shape = graph.operation(layer.output()).output(0).shape().asArray();
      long parameters = 0;
      if (layer.variables() != null) {
        parameters = graph.operation(layer.variables() + "/" + WEIGHTS).output(0).shape().size()
            + graph.operation(layer.variables() + "/" + BIASES).output(0).shape().size();
      }
      rows.add(new Row(layer.name(), layer.type(), shape, parameters));
    }
    return new ModelSummary(List.copyOf(rows));
  }

  public long parameters() {
    return rows.stream().mapToLong(Row::parameters).sum();
  }

  /** The table, as Keras prints it. */
  public String table() {
    var out = new StringBuilder();
    String rule = "_".repeat(65);
    out.append("Model: \"mnist_cnn\"\n").append(rule).append('\n');
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
