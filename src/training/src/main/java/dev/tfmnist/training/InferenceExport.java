package dev.tfmnist.training;

import static dev.tfmnist.model.GraphNames.SIGNATURE_CLASSES;
import static dev.tfmnist.model.GraphNames.SIGNATURE_INPUT;
import static dev.tfmnist.model.GraphNames.SIGNATURE_PROBABILITIES;

import dev.tfmnist.model.MnistCnn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;

/**
 * Exports a trainer's weights as a SavedModel that holds only what inference needs: the network of
 * {@link MnistCnn} and its eight variables, no loss, no Adam step, no Adam slots (13 MB, where the
 * training session would write 39 MB).
 *
 * <p>The export directory is a TensorFlow Serving base directory: each export becomes the next
 * integer version, written under a hidden temporary name and renamed into place, so a reader never
 * sees half a model and an existing version is never overwritten.
 */
public final class InferenceExport {
  private static final Pattern VERSION = Pattern.compile("\\d+");
  /** What TensorFlow Serving's Predict API looks for in a signature. */
  static final String PREDICT_METHOD = "tensorflow/serving/predict";

  private InferenceExport() {}

  /** Exports {@code trainer}'s current weights to the next version under {@code baseDir}. */
  public static Path export(MnistTrainer trainer, Path baseDir) throws IOException {
    Files.createDirectories(baseDir);
    Path work = Files.createTempDirectory(baseDir, ".export-");
    try {
      Path checkpoint = work.resolve("checkpoint").resolve("variables");
      trainer.saveVariables(checkpoint);
      Path model = work.resolve("model");
      writeInferenceModel(checkpoint, trainer.config(), model);
      return moveToNextVersion(model, baseDir);
    } finally {
      PathUtils.deleteDirectory(work);
    }
  }

  private static void writeInferenceModel(Path checkpoint, TrainingConfig config, Path target)
      throws IOException {
    try (var graph = new Graph()) {
      var cnn = new MnistCnn(graph, config.seed(), config.architecture());
      try (var session = new Session(graph)) {
        session.restore(checkpoint.toString());
        var signature = Signature.builder()
            .key(Signature.DEFAULT_KEY)
            .methodName(PREDICT_METHOD)
            .input(SIGNATURE_INPUT, cnn.xs)
            .output(SIGNATURE_PROBABILITIES, cnn.prediction)
            .output(SIGNATURE_CLASSES, cnn.classes)
            .build();
        SavedModelBundle.exporter(target.toString())
            .withSession(session)
            .withSignature(signature)
            .export();
      }
    }
  }

  private static Path moveToNextVersion(Path model, Path baseDir) throws IOException {
    // Another exporter may take a version between our look and our move: then try the next one.
    for (int attempt = 0; attempt < 100; attempt++) {
      Path target = baseDir.resolve(Long.toString(latestVersion(baseDir) + 1));
      try {
        Files.createDirectory(target);  // claims the number; a rename onto it alone could replace
        Files.move(model, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
      } catch (FileAlreadyExistsException taken) {
        // someone else took this version
      }
    }
    throw new IOException(baseDir + ": could not claim a new version directory");
  }

  /** The highest integer-named subdirectory of {@code baseDir}, or 0 when there is none. */
  public static long latestVersion(Path baseDir) throws IOException {
    try (Stream<Path> children = Files.list(baseDir)) {
      return children
          .filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(name -> VERSION.matcher(name).matches())
          .mapToLong(Long::parseLong)
          .max()
          .orElse(0);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
