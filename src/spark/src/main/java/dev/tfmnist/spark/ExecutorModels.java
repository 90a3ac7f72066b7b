package dev.tfmnist.spark;

import dev.tfmnist.device.ThreadPools;
import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.ModelLoadException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this JVM (a Spark executor, or the driver): each directory is loaded once, on
 * first use by any task, shared by every task and partition after that, and closed when the JVM
 * exits. Nothing here is serialized: a task carries only the model's path, which is how the
 * native bundle, which cannot be serialized, reaches every executor.
 */
public final class ExecutorModels {
  /**
   * TensorFlow's intra-op threads per run (default 1). Spark runs a task per core, each with its
   * own model runs: one thread each keeps the cores busy without the two kinds of threads
   * fighting over them. TensorFlow takes the pools of a process's first session.
   */
  public static final String INTRA_OP_PROPERTY = "tfmnist.spark.intraOpThreads";

  private static final ConcurrentHashMap<String, ImageClassifier> CLASSIFIERS =
      new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, LoadedModel> MODELS = new ConcurrentHashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();
  private static final AtomicBoolean HOOKED = new AtomicBoolean();

  private ExecutorModels() {}

  /**
   * The image classifier of the SavedModel at {@code directory}, loading it if this JVM has not
   * yet. Concurrent first callers wait for one load. Throws {@link ModelUnavailableException}
   * (one line, starting with the path) when the model cannot be loaded or classifies no images.
   */
  public static ImageClassifier classifier(String directory) {
    ImageClassifier known = CLASSIFIERS.get(directory);
    if (known != null) {
      return known;
    }
    return CLASSIFIERS.computeIfAbsent(directory, ExecutorModels::load);
  }

  private static ImageClassifier load(String directory) {
    LoadedModel model;
    try {
      model = LoadedModel.loader(Path.of(directory))
          .sessionConfig(new ThreadPools(Integer.getInteger(INTRA_OP_PROPERTY, 1), 1)
              .sessionConfig())
          .load();
    } catch (ModelLoadException e) {
      throw new ModelUnavailableException(e.getMessage(), e);
    }
    try {
      ImageClassifier classifier = ImageClassifier.builder(model).imageSize(28, 28).build();
      MODELS.put(directory, model);
      LOADS.incrementAndGet();
      closeAtExit();
      return classifier;
    } catch (RuntimeException e) {
      model.close();
      throw new ModelUnavailableException(directory + ": " + e.getMessage(), e);
    }
  }

  private static void closeAtExit() {
    if (HOOKED.compareAndSet(false, true)) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> MODELS.values()
          .forEach(LoadedModel::close), "close-models"));
    }
  }

  /** How many models this JVM has loaded, for tests and logs. */
  public static int loads() {
    return LOADS.get();
  }
}
