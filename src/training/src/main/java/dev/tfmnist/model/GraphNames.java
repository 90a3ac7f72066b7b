package dev.tfmnist.model;

/**
 * The names of the graph's nodes. They are part of the model's contract: checkpoints are exchanged
 * with Python by variable name, and tools find the inputs and outputs by these names.
 *
 * <p>Variables: {@code conv1/weights} [5,5,1,32], {@code conv1/biases} [32], {@code conv2/weights}
 * [5,5,32,64], {@code conv2/biases} [64], {@code fc1/weights} [3136,1024], {@code fc1/biases}
 * [1024], {@code fc2/weights} [1024,10], {@code fc2/biases} [10].
 */
public final class GraphNames {
  /** Input images, float32 [-1, 784], pixels in [0, 1]. */
  public static final String XS = "xs";
  /** One-hot labels, float32 [-1, 10]; training graph only. */
  public static final String YS = "ys";
  /** Dropout keep probability, float32 scalar, defaults to 1 (no dropout). */
  public static final String KEEP_PROB = "keep_prob";
  /** Seed of the stateless dropout mask, int64 [2]; training feeds (seed, step). */
  public static final String DROPOUT_SEED = "dropout_seed";
  /** Softmax class probabilities, float32 [-1, 10]. */
  public static final String PREDICTION = "prediction";
  /** The most probable class, int64 [-1]. */
  public static final String CLASSES = "classes";
  /** Pre-softmax scores of fc2, float32 [-1, 10]. */
  public static final String LOGITS = "logits";
  /** The original loss, mean(-sum(ys * log(prediction))), float32 scalar. */
  public static final String CROSS_ENTROPY = "cross_entropy";
  /** One Adam step on cross_entropy; run it as a target. */
  public static final String TRAIN_STEP = "train_step";
  /** Fraction of the batch whose class equals argmax(ys), float32 scalar. */
  public static final String ACCURACY = "accuracy";

  /** Layer scopes of the variables: {@code <layer>/weights} and {@code <layer>/biases}. */
  public static final String CONV1 = "conv1";
  public static final String CONV2 = "conv2";
  public static final String FC1 = "fc1";
  public static final String FC2 = "fc2";
  public static final String WEIGHTS = "weights";
  public static final String BIASES = "biases";

  /** Layer outputs, named after the original program's Python variables. */
  public static final String X_IMAGE = "x_image";
  public static final String H_CONV1 = "h_conv1";
  public static final String H_POOL1 = "h_pool1";
  public static final String H_CONV2 = "h_conv2";
  public static final String H_POOL2 = "h_pool2";
  public static final String H_POOL2_FLAT = "h_pool2_flat";
  public static final String H_FC1 = "h_fc1";
  public static final String H_FC1_DROP = "h_fc1_drop";

  /** The trainable variables, in the order the model creates them. */
  public static final java.util.List<String> VARIABLES = java.util.List.of(
      "conv1/weights", "conv1/biases", "conv2/weights", "conv2/biases",
      "fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases");

  /** SavedModel signature: input key, output keys. */
  public static final String SIGNATURE_INPUT = "xs";
  public static final String SIGNATURE_PROBABILITIES = "probabilities";
  public static final String SIGNATURE_CLASSES = "classes";

  private GraphNames() {}
}
