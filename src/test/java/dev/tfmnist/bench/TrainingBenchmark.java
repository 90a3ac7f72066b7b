package dev.tfmnist.bench;

import dev.tfmnist.data.BatchSampler;
import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.model.Loss;
import dev.tfmnist.model.MnistCnn;
import dev.tfmnist.training.MnistTrainer;
import dev.tfmnist.training.TrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * One training step of the original job per operation: batch 100, keep_prob 0.5, Adam at 1e-4,
 * the next batch of the seed-1 order filled in, as {@code TrainingLoop} does it. JMH's warm-up
 * iterations are the excluded warm-up steps.
 *
 * <p>{@code impl}:
 * <ul>
 *   <li>{@code trainer}: {@link MnistTrainer#trainStep}, what TrainMnist runs;
 *   <li>{@code reuse}: a prototype on the same graph ({@link MnistCnn}) that allocates its four
 *       input tensors once and copies each batch into them, to show what per-step tensor
 *       allocation costs;
 *   <li>{@code fused}: a prototype of the same graph with two kinds of gradient edges moved (see
 *       {@link Rewired}) so that Grappler's remapper can fuse Conv2D/MatMul + bias Add (+ Relu) as
 *       it does for Python's graph; same values, bit for bit.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TrainingBenchmark {
  static final int BATCH = 100;

  @Param({""})
  public String dataDir;

  @Param({"trainer"})
  public String impl;

  @Param({"0"})
  public int intraOpThreads;

  @Param({"0"})
  public int interOpThreads;

  private MnistDataset data;
  private BatchSampler sampler;
  private int[] indices;
  private float[] xs;
  private float[] ys;
  private int step;
  private MnistTrainer trainer;
  private Reusing reusing;
  private Rewired rewired;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dev.tfmnist.cli.NativeLog.configure(false,
        new dev.tfmnist.device.ThreadPools(intraOpThreads, interOpThreads, true));
    if (dataDir.isEmpty()) {
      throw new IllegalArgumentException("-p dataDir=DIR is required");
    }
    data = MnistDataset.load(Path.of(dataDir));
    var original = TrainingConfig.ORIGINAL;
    var config = new TrainingConfig(original.steps(), BATCH, original.learningRate(),
        original.keepProb(), original.evalEvery(), original.seed(), original.loss(),
        original.evalChunk(), intraOpThreads, interOpThreads);
    sampler = new BatchSampler(data.train().count(), config.seed());
    indices = new int[BATCH];
    xs = new float[BATCH * MnistSplit.PIXELS];
    ys = new float[BATCH * MnistSplit.CLASSES];
    switch (impl) {
      case "trainer" -> trainer = new MnistTrainer(config);
      case "reuse" -> reusing = new Reusing(config);
      case "fused" -> rewired = new Rewired(config);
      default -> throw new IllegalArgumentException("impl " + impl
          + ", expected trainer, reuse or fused");
    }
  }

  @Benchmark
  public float step() {
    sampler.next(indices);
    data.train().fillBatch(indices, xs, ys);
    float loss = trainer != null ? trainer.trainStep(step, xs, ys, BATCH)
        : reusing != null ? reusing.trainStep(step, xs, ys)
        : rewired.trainStep(step, xs, ys);
    step++;
    if (!Float.isFinite(loss)) {
      throw new IllegalStateException("loss " + loss + " at step " + step);
    }
    return loss;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    RssProbe.record("train-" + impl);
    if (trainer != null) {
      trainer.close();
    }
    if (reusing != null) {
      reusing.close();
    }
    if (rewired != null) {
      rewired.close();
    }
  }

  /**
   * MnistCnn's training graph, exported, with two kinds of edges moved, and imported into a new
   * graph. TensorFlow's C++ gradients (which TensorFlow Java uses) keep the pre-activation values
   * alive: the bias Add's gradient takes {@code Shape} of the Conv2D/MatMul output, and {@code
   * ReluGrad} reads the Relu's input. Python's gradients read neither, so Grappler's remapper fuses
   * Conv2D/MatMul + Add + Relu into one oneDNN op there and not here. Both edges can read the Relu's
   * output instead (same shape; {@code relu(x) > 0} exactly where {@code x > 0}), which gives
   * bit-identical losses and lets the fusion happen.
   */
  static final class Rewired implements AutoCloseable {
    private final Graph graph = new Graph();
    private final Session session;
    private final TFloat32 keep;
    private final long seed;

    Rewired(TrainingConfig config) {
      seed = config.seed();
      org.tensorflow.proto.GraphDef original;
      try (var built = new Graph()) {
        new MnistCnn(built, config.seed()).training(config.learningRate(), Loss.ORIGINAL);
        original = built.toGraphDef();
      }
      // importGraphDef registers the imported initializers: the session runs them on first use
      // (running them again by hand would draw the random initial weights a second time)
      graph.importGraphDef(rewire(original));
      session = new Session(graph, ConfigProto.newBuilder()
          .setIntraOpParallelismThreads(config.intraOpThreads())
          .setInterOpParallelismThreads(config.interOpThreads())
          .build());
      keep = TFloat32.scalarOf(config.keepProb());
    }

    static org.tensorflow.proto.GraphDef rewire(org.tensorflow.proto.GraphDef def) {
      var builder = def.toBuilder();
      var ops = new java.util.HashMap<String, String>();
      var reluOf = new java.util.HashMap<String, String>();  // pre-activation -> Relu
      for (var node : def.getNodeList()) {
        ops.put(node.getName(), node.getOp());
        if (node.getOp().equals("Relu")) {
          reluOf.put(plain(node.getInput(0)), node.getName());
        }
      }
      var post = new java.util.HashMap<String, String>();  // contraction or Add -> Relu (or Add)
      for (var node : def.getNodeList()) {
        if (node.getOp().equals("Add")) {
          String contraction = plain(node.getInput(0));
          String op = ops.get(contraction);
          if ("Conv2D".equals(op) || "MatMul".equals(op)) {
            post.put(contraction, reluOf.getOrDefault(node.getName(), node.getName()));
          }
        }
      }
      for (var node : builder.getNodeBuilderList()) {
        if (node.getOp().equals("Shape") && post.containsKey(plain(node.getInput(0)))) {
          node.setInput(0, post.get(plain(node.getInput(0))));
        } else if (node.getOp().equals("ReluGrad") && reluOf.containsKey(plain(node.getInput(1)))) {
          node.setInput(1, reluOf.get(plain(node.getInput(1))));
        }
      }
      return builder.build();
    }

    private static String plain(String input) {
      return input.endsWith(":0") ? input.substring(0, input.length() - 2) : input;
    }

    float trainStep(int step, float[] xs, float[] ys) {
      try (var x = TFloat32.tensorOf(Shape.of(BATCH, MnistSplit.PIXELS), DataBuffers.of(xs, true, false));
          var y = TFloat32.tensorOf(Shape.of(BATCH, MnistSplit.CLASSES), DataBuffers.of(ys, true, false));
          var dropoutSeed = TInt64.vectorOf(seed, step);
          var result = session.runner()
              .feed("xs", x)
              .feed("ys", y)
              .feed("keep_prob", keep)
              .feed("dropout_seed", dropoutSeed)
              .addTarget("train_step")
              .fetch("cross_entropy")
              .run()) {
        return ((TFloat32) result.get(0)).getFloat();
      }
    }

    @Override
    public void close() {
      keep.close();
      session.close();
      graph.close();
    }
  }

  /** The training graph with input tensors made once and refilled every step. */
  static final class Reusing implements AutoCloseable {
    private final Graph graph = new Graph();
    private final MnistCnn cnn;
    private final MnistCnn.Training training;
    private final Session session;
    private final TFloat32 x;
    private final TFloat32 y;
    private final TFloat32 keep;
    private final TInt64 dropoutSeed;
    private final long seed;

    Reusing(TrainingConfig config) {
      seed = config.seed();
      cnn = new MnistCnn(graph, config.seed());
      training = cnn.training(config.learningRate(), Loss.ORIGINAL);
      session = new Session(graph, ConfigProto.newBuilder()
          .setIntraOpParallelismThreads(config.intraOpThreads())
          .setInterOpParallelismThreads(config.interOpThreads())
          .build());
      x = TFloat32.tensorOf(Shape.of(BATCH, MnistSplit.PIXELS));
      y = TFloat32.tensorOf(Shape.of(BATCH, MnistSplit.CLASSES));
      keep = TFloat32.scalarOf(config.keepProb());
      dropoutSeed = TInt64.vectorOf(seed, 0);
    }

    float trainStep(int step, float[] xs, float[] ys) {
      x.copyFrom(DataBuffers.of(xs, true, false));
      y.copyFrom(DataBuffers.of(ys, true, false));
      dropoutSeed.setLong(step, 1);
      try (var result = session.runner()
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

    @Override
    public void close() {
      x.close();
      y.close();
      keep.close();
      dropoutSeed.close();
      session.close();
      graph.close();
    }
  }
}
