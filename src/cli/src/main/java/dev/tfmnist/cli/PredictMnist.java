package dev.tfmnist.cli;

import dev.tfmnist.data.DataDirectory;
import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistFetcher;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.loader.AmbiguousSignatureException;
import dev.tfmnist.loader.Classification;
import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.image.ImageFiles;
import dev.tfmnist.loader.image.MnistPreprocessor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * Classifies digits with any MNIST classifier SavedModel: the 10,000 test images, or image files
 * converted the way MNIST was made.
 */
@Command(
    name = "PredictMnist",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    sortOptions = false,
    description = {
      "Classifies digits with an MNIST SavedModel: TrainMnist's, or any other with",
      "a 28x28 image input (pixels of any dtype, or encoded images) and a [-1, 10]",
      "score or [-1] class output. With image files (PNG, JPEG or PGM, any size,",
      "either polarity) prints each file's digit and top 3; with --data-dir, or",
      "without image files, the accuracy on the 10,000 test images."
    })
public final class PredictMnist implements Callable<Integer> {
  /** Images per run when evaluating: TrainMnist's evaluation chunk, so the numbers match it. */
  private static final int EVAL_CHUNK = 1000;

  @Option(names = "--model", paramLabel = "DIR",
      description = "SavedModel directory, or a base directory whose highest version is used.")
  Path model;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Evaluate on the MNIST test set in DIR (default when no images are given: "
          + "$MNIST_DIR, else data/mnist); missing files are downloaded.")
  Path dataDir;

  @Option(names = "--signature", paramLabel = "NAME",
      description = "Signature to run (default: ${DEFAULT-VALUE}).")
  String signature = SignatureInfo.DEFAULT_KEY;

  @Option(names = "--input", paramLabel = "NAME",
      description = "The image input, when the signature has more than one that fits.")
  String input;

  @Option(names = "--output", paramLabel = "NAME",
      description = "The class-score output, when the signature has more than one [-1, 10] output.")
  String output;

  @Option(names = "--top", paramLabel = "K", description = "Classes listed per image (default: ${DEFAULT-VALUE}).")
  int top = 3;

  @Option(names = "--list-signatures", description = "Print the model's signatures and exit.")
  boolean listSignatures;

  @Option(names = "--save-probabilities", paramLabel = "FILE.npy", description = "With the test set: also write every image's class probabilities as a float32 NumPy array (images x classes), e.g. for tools/python/check_java_savedmodel.py.")
  Path saveProbabilities;

  @Mixin TensorFlowOptions tensorFlow = new TensorFlowOptions();

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "PNG, JPEG or PGM files of digits.")
  List<Path> images = new ArrayList<>();

  private PrintWriter out;
  private PrintWriter err;

  @Override
  public Integer call() throws Exception {
    tensorFlow.choice();
    if (top < 1 || top > 10) {
      throw new IllegalArgumentException("--top must be in 1..10, got " + top);
    }
    // Read every image first, so that a bad file stops the run before any model is loaded.
    var pixels = new ArrayList<float[]>();
    for (Path image : images) {
      pixels.add(mnistPixels(image));
    }
    var plan = tensorFlow.devicesUnlessListing(out);
    if (plan.isEmpty()) {
      return 0;
    }
    var devices = plan.get();
    Path modelDir = Cli.required(spec, model, "--model=DIR");
    if (devices.note().isPresent()) {  // the GPU build without a GPU: say why, in one line
      err.print(devices.summary());
      err.flush();
    }
    try (var loaded = tensorFlow.load(modelDir, devices)) {
      if (listSignatures) {
        out.print(loaded.signatureTable());
        return 0;
      }
      ImageClassifier classifier = classifier(loaded);
      if (dataDir != null || images.isEmpty()) {
        out.printf(Locale.ROOT, "test accuracy %.4f%n", testAccuracy(classifier));
        out.flush();
      }
      for (int i = 0; i < images.size(); i++) {
        Classification result = classifier.takesEncodedImages()
            ? classifier.classifyEncoded(Files.readAllBytes(images.get(i))).get(0)  // as they are
            : classifier.classify(pixels.get(i));
        out.println(line(images.get(i), result));
        out.flush();
      }
    }
    return 0;
  }

  private static float[] mnistPixels(Path image) throws IOException {
    try {
      return MnistPreprocessor.toMnist(ImageFiles.read(image));
    } catch (IllegalArgumentException e) {
      throw new IOException(image + ": " + e.getMessage(), e);
    }
  }

  private ImageClassifier classifier(LoadedModel loaded) {
    try {
      return ImageClassifier.builder(loaded)
          .signature(signature)
          .imageSize(28, 28)
          .classes(10)
          .input(input)
          .output(output)
          .build();
    } catch (AmbiguousSignatureException e) {
      String option = e.role() == AmbiguousSignatureException.Role.INPUT ? "--input" : "--output";
      throw new IllegalArgumentException(e.getMessage() + " (choose with " + option + " NAME)", e);
    }
  }

  private double testAccuracy(ImageClassifier classifier) throws IOException {
    if (saveProbabilities != null && classifier.output().rank() == 1) {
      throw new IllegalArgumentException("--save-probabilities needs class scores; output \""
          + classifier.output().key() + "\" gives class ids only");
    }
    Path dir = DataDirectory.resolve(dataDir);
    new MnistFetcher(message -> err.println(message)).ensure(dir);
    MnistSplit test = MnistDataset.load(dir).test();
    var chunk = new float[EVAL_CHUNK * MnistSplit.PIXELS];
    long correct = 0;
    float[] probabilities = saveProbabilities == null ? null
        : new float[test.count() * classifier.classes()];
    for (int from = 0; from < test.count(); from += EVAL_CHUNK) {
      int n = Math.min(EVAL_CHUNK, test.count() - from);
      float[] batch = n == EVAL_CHUNK ? chunk : new float[n * MnistSplit.PIXELS];
      test.copyImages(from, n, batch);
      List<Classification> results = classifier.classify(batch, n);
      for (int i = 0; i < n; i++) {
        if (results.get(i).predictedClass() == test.label(from + i)) {
          correct++;
        }
        if (probabilities != null) {
          float[] row = results.get(i).probabilities();
          System.arraycopy(row, 0, probabilities, (from + i) * row.length, row.length);
        }
      }
    }
    if (probabilities != null) {
      NpyFile.writeFloats(saveProbabilities, probabilities, test.count(), classifier.classes());
    }
    return (double) correct / test.count();
  }

  /** E.g. {@code seven.png: 7 (7 0.9981, 3 0.0012, 2 0.0004)}. */
  private String line(Path image, Classification result) {
    if (!result.hasScores()) {
      return image + ": " + result.predictedClass();
    }
    String top = result.topK(this.top).stream()
        .map(s -> String.format(Locale.ROOT, "%d %.4f", s.classIndex(), s.probability()))
        .collect(Collectors.joining(", "));
    return image + ": " + result.predictedClass() + " (" + top + ")";
  }

  public static void main(String[] args) {
    Cli.routeLibraryLogs();
    System.exit(run(args, new PrintWriter(System.out, true),
        new PrintWriter(NativeLog.systemErr(), true)));
  }

  /** Runs the command with the given streams and returns the exit code; main() is this plus exit. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    var command = new PredictMnist();
    command.out = out;
    command.err = err;
    CommandLine commandLine = Cli.commandLine(command, out, err);
    return commandLine.execute(args);
  }
}
