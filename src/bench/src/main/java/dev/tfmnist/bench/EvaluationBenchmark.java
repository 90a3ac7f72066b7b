package dev.tfmnist.bench;

import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.device.Precision;
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

/**
 * One full test-set evaluation ({@link MnistTrainer#evaluate}, 10,000 images, keep_prob 1) per
 * operation, with the chunk size as a parameter: evidence for the evaluation-chunking item of
 * issue 6. Not part of tools/bench's table; run it with
 * {@code BenchMain eval --data-dir DIR --chunks 100,1000,10000}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class EvaluationBenchmark {
  @Param({""})
  public String dataDir;

  @Param({"1000"})
  public int evalChunk;

  @Param({"0"})
  public int intraOpThreads;

  @Param({"0"})
  public int interOpThreads;

  /** float32 or mixed_bfloat16 ({@link Precision}). */
  @Param({"float32"})
  public String precision;

  private MnistDataset data;
  private MnistTrainer trainer;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dev.tfmnist.cli.NativeLog.configure(false,
        new dev.tfmnist.device.ThreadPools(intraOpThreads, interOpThreads));
    data = MnistDataset.load(Path.of(dataDir));
    var o = TrainingConfig.ORIGINAL;
    trainer = new MnistTrainer(new TrainingConfig(o.steps(), o.batchSize(), o.learningRate(),
        o.keepProb(), o.evalEvery(), o.seed(), o.loss(), o.architecture(), evalChunk, intraOpThreads,
        interOpThreads, Precision.parse(precision)));
  }

  @Benchmark
  public double evaluate() {
    return trainer.evaluate(data.test());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    RssProbe.record("eval-chunk-" + evalChunk);
    trainer.close();
  }
}
