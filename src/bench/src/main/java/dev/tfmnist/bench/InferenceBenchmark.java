package dev.tfmnist.bench;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.TensorValue;
import java.nio.file.Path;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.tensorflow.Result;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * In-process inference through the loader ({@code dev.tfmnist.loader}) on a SavedModel's
 * {@code serving_default}: one call on {@code batch} MNIST test images per operation. BenchMain
 * runs it in Throughput mode (batch 1, 32, 1000) and SampleTime mode (batch 1, for p50/p99).
 *
 * <p>{@code api}:
 * <ul>
 *   <li>{@code predict}: {@link Predictor#predict(TensorValue)}, the plain-Java API (input array to
 *       tensor, both outputs back to Java arrays): what an embedding service calls;
 *   <li>{@code tensor}: prototype: {@link Predictor#run} on an input tensor made once, both
 *       outputs fetched, probabilities copied into a reused array;
 *   <li>{@code probabilities}: {@code predictor.withOutputs("probabilities").predict(...)}: the
 *       plain API fetching only the output a caller needs.
 * </ul>
 */
@State(Scope.Benchmark)
public class InferenceBenchmark {
  @Param({""})
  public String model;

  @Param({""})
  public String dataDir;

  @Param({"1"})
  public int batch;

  @Param({"predict"})
  public String api;

  @Param({"0"})
  public int intraOpThreads;

  @Param({"0"})
  public int interOpThreads;

  /** float32 or mixed_bfloat16 ({@link dev.tfmnist.device.Precision}). */
  @Param({"float32"})
  public String precision;

  private LoadedModel loaded;
  private Predictor predictor;
  private TensorValue input;
  private TFloat32 inputTensor;
  private float[] probabilities;
  private String inputKey;
  private int probabilitiesIndex;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    var threads = new dev.tfmnist.device.ThreadPools(intraOpThreads, interOpThreads);
    dev.tfmnist.cli.NativeLog.configure(false, threads);
    if (model.isEmpty() || dataDir.isEmpty()) {
      throw new IllegalArgumentException("-p model=DIR and -p dataDir=DIR are required");
    }
    float[] images = BenchImages.first(Path.of(dataDir), batch);
    loaded = LoadedModel.loader(Path.of(model))
        .sessionConfig(dev.tfmnist.device.Precision.parse(precision)
            .applyTo(threads.sessionConfig().toBuilder()).build())
        .load();
    predictor = loaded.predictor();
    inputKey = predictor.signature().inputs().keySet().iterator().next();
    input = TensorValue.ofFloats(Shape.of(batch, 784), images);
    switch (api) {
      case "predict" -> { }
      case "probabilities" -> predictor = predictor.withOutputs("probabilities");
      case "tensor" -> {
        inputTensor = TFloat32.tensorOf(Shape.of(batch, 784), DataBuffers.of(images, true, false));
        probabilities = new float[batch * 10];
        probabilitiesIndex = predictor.outputKeys().indexOf("probabilities");
        if (probabilitiesIndex < 0) {
          throw new IllegalArgumentException("the signature has no output \"probabilities\"");
        }
      }
      default -> throw new IllegalArgumentException("api " + api
          + ", expected predict, probabilities or tensor");
    }
  }

  @Benchmark
  public Object predict() {
    if (inputTensor == null) {
      return predictor.predict(input);
    }
    try (Result result = predictor.run(Map.of(inputKey, inputTensor))) {
      ((TFloat32) result.get(probabilitiesIndex)).copyTo(DataBuffers.of(probabilities, false, false));
      return probabilities;
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    RssProbe.record("infer-" + api + "-b" + batch);
    if (inputTensor != null) {
      inputTensor.close();
    }
    loaded.close();
  }
}
