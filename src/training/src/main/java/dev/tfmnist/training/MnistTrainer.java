package dev.tfmnist.training;

import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.device.ThreadPools;
import dev.tfmnist.model.GraphNames;
import dev.tfmnist.model.MnistCnn;
import dev.tfmnist.model.ModelSummary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Owns the training graph and its session: runs Adam steps, evaluates on a data split and saves
 * the variables. One trainer is one run; it is not safe for concurrent use.
 */
public final class MnistTrainer implements AutoCloseable {
  private static final int PIXELS = 784;
  private static final int CLASSES = 10;

  private final TrainingConfig config;
  private final Graph graph;
  private final MnistCnn cnn;
  private final MnistCnn.Training training;
  private final Session session;
  private ModelRestore modelRestore;

  /** A trainer whose session runs where TensorFlow places it by default. */
  public MnistTrainer(TrainingConfig config) {
    this(config, sessionConfig(config));
  }

  /**
   * A trainer whose session uses {@code sessionConfig}: device placement, thread pools, GPU memory
   * growth (see {@code dev.tfmnist.device.DevicePlan}), with {@code config.precision()} applied.
   */
  public MnistTrainer(TrainingConfig config, ConfigProto sessionConfig) {
    this.config = config;
    this.graph = new Graph();
    try {
      this.cnn = new MnistCnn(graph, config.seed(), config.architecture());
      this.training = cnn.training(config.learningRate(), config.loss());
      this.session = new Session(graph, config.precision().applyTo(sessionConfig.toBuilder()).build());
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  public TrainingConfig config() {
    return config;
  }

  /** The layer table of the graph this trainer trains. */
  public ModelSummary summary() {
    return ModelSummary.of(graph, config.architecture());
  }

  /**
   * Trains {@code config.steps()} steps from scratch on {@code data.train()}, in TF1
   * {@code next_batch} order, evaluating on {@code data.test()} after every step the config asks
   * for. {@link TrainingLoop} does the same with checkpoints, resume and stopping.
   */
  public List<Evaluation> train(MnistDataset data, TrainingListener listener) {
    return new TrainingLoop(this, data, listener, null).run(TrainingState.start(config, data)).evaluations();
  }

  /**
   * One Adam step on {@code n} images with the configured keep_prob; returns the loss of the batch
   * before the update. The dropout mask is seeded by (seed, step), so it is the same on a rerun.
   */
  public float trainStep(int step, float[] images, float[] oneHotLabels, int n) {
    try (var x = TFloat32.tensorOf(Shape.of(n, PIXELS), DataBuffers.of(images, true, false));
        var y = TFloat32.tensorOf(Shape.of(n, CLASSES), DataBuffers.of(oneHotLabels, true, false));
        var keep = TFloat32.scalarOf(config.keepProb());
        var dropoutSeed = TInt64.vectorOf(config.seed(), step);
        var result = session.runner()
            .feed(cnn.xs, x)
            .feed(training.ys(), y)
            .feed(cnn.keepProb, keep)
            .feed(cnn.dropoutSeed, dropoutSeed)
            .addTarget(training.trainStep())
            .fetch(training.crossEntropy())
            .run()) {
      return ((TFloat32) result.get(0)).getFloat();
    }
  }

  /** Accuracy on the whole split with keep_prob 1, fed in chunks so memory stays low. */
  public double evaluate(MnistSplit split) {
    long[] correct = {0};
    forEachChunk(split, List.of(training.accuracy()), (from, n, result) ->
        correct[0] += Math.round(((TFloat32) result.get(0)).getFloat() * (double) n));
    return (double) correct[0] / split.count();
  }

  /**
   * Accuracy, mean loss and each image's predicted class on a whole split, all from the same runs;
   * see {@link #evaluateWithLoss}.
   */
  public record TestResult(double accuracy, double loss, int[] predicted) {}

  /**
   * Like {@link #evaluate}, and also the split's mean {@code cross_entropy} (the chunks' means
   * weighted by their sizes) and the predicted classes, fetched from the same runs: what
   * TensorBoard's test loss and misclassified digits show.
   */
  public TestResult evaluateWithLoss(MnistSplit split) {
    long[] correct = {0};
    double[] lossSum = {0};
    var predicted = new int[split.count()];
    forEachChunk(split, List.of(training.accuracy(), training.crossEntropy(), cnn.classes),
        (from, n, result) -> {
          correct[0] += Math.round(((TFloat32) result.get(0)).getFloat() * (double) n);
          lossSum[0] += ((TFloat32) result.get(1)).getFloat() * (double) n;
          var classes = (TInt64) result.get(2);
          for (int i = 0; i < n; i++) {
            predicted[from + i] = (int) classes.getLong(i);
          }
        });
    return new TestResult((double) correct[0] / split.count(), lossSum[0] / split.count(), predicted);
  }

  /** What {@link #forEachChunk} hands over: a chunk's first index, its size and its fetches. */
  private interface ChunkResult {
    void accept(int from, int n, Result result);
  }

  /**
   * Runs {@code fetches} on {@code split} in chunks of {@code config.evalChunk()} images and labels,
   * keep_prob left at its default of 1, and hands each chunk's result to {@code consumer} while
   * it is open.
   */
  private void forEachChunk(MnistSplit split, List<Operand<?>> fetches, ChunkResult consumer) {
    int chunk = config.evalChunk();
    var xs = new float[chunk * PIXELS];
    var ys = new float[chunk * CLASSES];
    for (int from = 0; from < split.count(); from += chunk) {
      int n = Math.min(chunk, split.count() - from);
      split.fillBatch(range(from, n), xs, ys);
      try (var x = TFloat32.tensorOf(Shape.of(n, PIXELS), DataBuffers.of(xs, true, false).narrow(n * PIXELS));
          var y = TFloat32.tensorOf(Shape.of(n, CLASSES), DataBuffers.of(ys, true, false).narrow(n * CLASSES))) {
        var runner = runnerWithBatch(x, y);
        fetches.forEach(runner::fetch);
        try (var result = runner.run()) {
          consumer.accept(from, n, result);
        }
      }
    }
  }

  /**
   * A runner of the training session with {@code n} images and their one-hot labels fed, keep_prob
   * left at 1: for summary ops in this package that read values computed from a batch.
   */
  Session.Runner runnerWithBatch(TFloat32 images, TFloat32 oneHotLabels) {
    return session.runner().feed(cnn.xs, images).feed(training.ys(), oneHotLabels);
  }

  /** The gradients the train step applies, one per variable in {@link GraphNames#VARIABLES} order. */
  List<org.tensorflow.Output<?>> gradients() {
    return training.gradients();
  }

  /** The training graph; summary writers in this package add their ops to it. */
  Graph graph() {
    return graph;
  }

  /** The training session; summary writers' resources live in it and close with it. */
  Session session() {
    return session;
  }

  /** Class probabilities for {@code n} images with keep_prob 1, as the exported model gives them. */
  public float[] predict(float[] images, int n) {
    try (var x = TFloat32.tensorOf(Shape.of(n, PIXELS), DataBuffers.of(images, true, false).narrow(n * PIXELS));
        var result = session.runner().feed(cnn.xs, x).fetch(cnn.prediction).run()) {
      var probabilities = new float[n * CLASSES];
      ((TFloat32) result.get(0)).copyTo(DataBuffers.of(probabilities, false, false));
      return probabilities;
    }
  }

  private static ConfigProto sessionConfig(TrainingConfig config) {
    return new ThreadPools(config.intraOpThreads(), config.interOpThreads()).sessionConfig();
  }

  /** Sets every variable of the training graph, Adam's included, from a {@link #saveVariables} checkpoint. */
  public void restoreVariables(Path prefix) {
    session.restore(prefix.toString());
  }

  /** Continues from a checkpoint of {@link Checkpoints}: weights and Adam's state. */
  public void restoreModelAndOptimizer(Checkpoints.Checkpoint checkpoint) {
    restoreVariables(checkpoint.variablesPrefix());
  }

  /** Writes every variable of the training graph, Adam's slots included, as a TF checkpoint. */
  public void saveVariables(Path prefix) {
    session.save(prefix.toString());
  }

  /**
   * Sets the eight model variables from a TF checkpoint (Java's or Python's, a SavedModel's
   * {@code variables/variables} included) and leaves Adam's state as it is: training continues
   * from those weights.
   */
  public void restoreModelVariables(Path prefix) {
    if (modelRestore == null) {
      modelRestore = ModelRestore.build(graph);
    }
    try (var prefixTensor = TString.scalarOf(prefix.toString())) {
      session.runner()
          .feed(modelRestore.prefix(), prefixTensor)
          .addTarget(modelRestore.restore())
          .run()
          .close();
    }
  }

  /** The graph nodes that restore the model variables; built on first use. */
  private record ModelRestore(Placeholder<TString> prefix, Op restore) {
    static ModelRestore build(Graph graph) {
      var tf = Ops.create(graph).withSubScope("restore_model");
      var prefix = tf.placeholder(TString.class);
      var names = GraphNames.VARIABLES.toArray(String[]::new);
      var slices = new String[names.length];
      java.util.Arrays.fill(slices, "");
      var restored = tf.train.restore(prefix, tf.constant(org.tensorflow.ndarray.StdArrays.ndCopyOf(names)),
          tf.constant(org.tensorflow.ndarray.StdArrays.ndCopyOf(slices)),
          java.util.Collections.nCopies(names.length, TFloat32.class));
      var assigns = new ArrayList<Op>();
      for (int i = 0; i < names.length; i++) {
        @SuppressWarnings("unchecked")
        var variable = (org.tensorflow.Output<TFloat32>) (org.tensorflow.Output<?>)
            graph.operation(names[i]).output(0);
        @SuppressWarnings("unchecked")
        var value = (org.tensorflow.Operand<TFloat32>) restored.tensors().get(i);
        assigns.add(tf.assign(variable, value));
      }
      return new ModelRestore(prefix, tf.withControlDependencies(assigns).noOp());
    }
  }

  private static int[] range(int from, int n) {
    var indices = new int[n];
    for (int i = 0; i < n; i++) {
      indices[i] = from + i;
    }
    return indices;
  }

  @Override
  public void close() {
    try {
      session.close();
    } finally {
      graph.close();
    }
  }
}
