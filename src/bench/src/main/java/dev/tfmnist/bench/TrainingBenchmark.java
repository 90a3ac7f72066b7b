package dev.tfmnist.bench;

import dev.tfmnist.data.BatchSampler;
import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.device.Precision;
import dev.tfmnist.device.ThreadPools;
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
 *       allocation costs.
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

  /** float32 or mixed_bfloat16 ({@link Precision}). */
  @Param({"float32"})
  public String precision;

  private MnistDataset data;
  private BatchSampler sampler;
  private int[] indices;
  private float[] xs;
  private float[] ys;
  private int step;
  private MnistTrainer trainer;
  private Reusing reusing;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dev.tfmnist.cli.NativeLog.configure(false,
        new ThreadPools(intraOpThreads, interOpThreads));
    if (dataDir.isEmpty()) {
      throw new IllegalArgumentException("-p dataDir=DIR is required");
    }
    data = MnistDataset.load(Path.of(dataDir));
    var original = TrainingConfig.ORIGINAL;
    var config = new TrainingConfig(original.steps(), BATCH, original.learningRate(),
        original.keepProb(), original.evalEvery(), original.seed(), original.loss(),
        original.architecture(), original.evalChunk(), intraOpThreads, interOpThreads,
        Precision.parse(precision));
    sampler = new BatchSampler(data.train().count(), config.seed());
    indices = new int[BATCH];
    xs = new float[BATCH * MnistSplit.PIXELS];
    ys = new float[BATCH * MnistSplit.CLASSES];
    switch (impl) {
      case "trainer" -> trainer = new MnistTrainer(config);
      case "reuse" -> reusing = new Reusing(config);
      default -> throw new IllegalArgumentException("impl " + impl
          + ", expected trainer or reuse");
    }
  }

  @Benchmark
  public float step() {
    sampler.next(indices);
    data.train().fillBatch(indices, xs, ys);
    float loss = trainer != null ? trainer.trainStep(step, xs, ys, BATCH)
        : reusing.trainStep(step, xs, ys);
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
  }

  /** The training graph with input tensors made once and refilled every step. */
  static final class Reusing implements AutoCloseable {
    private final Graph graph = new Graph();
    private final Session session;
    private final TFloat32 x;
    private final TFloat32 y;
    private final TFloat32 keep;
    private final TInt64 dropoutSeed;
    private final long seed;

    Reusing(TrainingConfig config) {
      seed = config.seed();
      new MnistCnn(graph, config.seed()).training(config.learningRate(), Loss.ORIGINAL);
      session = new Session(graph, config.precision().applyTo(
          new ThreadPools(config.intraOpThreads(), config.interOpThreads()).sessionConfig().toBuilder())
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
      x.close();
      y.close();
      keep.close();
      dropoutSeed.close();
      session.close();
      graph.close();
    }
  }
}
