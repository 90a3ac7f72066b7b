package dev.tfmnist.cli;

import dev.tfmnist.data.DataDirectory;
import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistFetcher;
import dev.tfmnist.training.Evaluation;
import dev.tfmnist.training.InferenceExport;
import dev.tfmnist.training.MnistTrainer;
import dev.tfmnist.training.TrainingConfig;
import dev.tfmnist.training.TrainingListener;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains the original TF1 MNIST CNN in TensorFlow Java and exports it as a SavedModel. */
@Command(
    name = "TrainMnist",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Trains the TF1 MNIST CNN of the original program with TensorFlow Java, printing the test",
      "accuracy every --eval-every steps, and exports the result as a SavedModel."
    })
public final class TrainMnist implements Callable<Integer> {
  private static final TrainingConfig ORIGINAL = TrainingConfig.ORIGINAL;

  @Option(names = "--steps", paramLabel = "N", description = "Training steps (default: ${DEFAULT-VALUE}).")
  int steps = ORIGINAL.steps();

  @Option(names = "--batch-size", paramLabel = "N", description = "Images per step (default: ${DEFAULT-VALUE}).")
  int batchSize = ORIGINAL.batchSize();

  @Option(names = "--learning-rate", paramLabel = "RATE", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
  float learningRate = ORIGINAL.learningRate();

  @Option(names = "--keep-prob", paramLabel = "P", description = "Dropout keep probability while training (default: ${DEFAULT-VALUE}).")
  float keepProb = ORIGINAL.keepProb();

  @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate on the test set after every step i with i % N == 0 (default: ${DEFAULT-VALUE}).")
  int evalEvery = ORIGINAL.evalEvery();

  @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the initial weights, batch order and dropout (default: ${DEFAULT-VALUE}).")
  long seed = ORIGINAL.seed();

  @Option(names = "--data-dir", paramLabel = "DIR", description = "MNIST directory (default: $MNIST_DIR, else data/mnist); missing files are downloaded.")
  Path dataDir;

  @Option(names = "--export-dir", paramLabel = "DIR", description = "SavedModel base directory; the model goes into its next version (default: ${DEFAULT-VALUE}).")
  Path exportDir = Path.of("savedmodel", "java");

  @Option(names = "--tf-log", description = "Show TensorFlow's native log (also on when TF_CPP_MIN_LOG_LEVEL is set).")
  boolean tfLog;

  private PrintWriter out;
  private PrintWriter err;

  @Override
  public Integer call() throws Exception {
    var config = new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed,
        ORIGINAL.evalChunk());
    Path dir = DataDirectory.resolve(dataDir, System::getenv);
    new MnistFetcher(message -> err.println(message)).ensure(dir);
    var data = MnistDataset.load(dir);
    NativeLog.configure(tfLog);

    try (var trainer = new MnistTrainer(config)) {
      var evaluations = trainer.train(data, new TrainingListener() {
        @Override
        public void evaluated(Evaluation evaluation) {
          out.println(evaluation.line());
          out.flush();
        }
      });
      double finalAccuracy = lastStepEvaluated(evaluations, config)
          ? evaluations.get(evaluations.size() - 1).accuracy()
          : trainer.evaluate(data.test());
      out.printf(Locale.ROOT, "final test accuracy %.4f%n", finalAccuracy);
      Path exported = InferenceExport.export(trainer, exportDir);
      out.println("SavedModel written to " + exported);
    }
    return 0;
  }

  private static boolean lastStepEvaluated(java.util.List<Evaluation> evaluations, TrainingConfig config) {
    return !evaluations.isEmpty()
        && evaluations.get(evaluations.size() - 1).step() == config.steps() - 1;
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command with the given streams and returns the exit code; main() is this plus exit. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    var command = new TrainMnist();
    command.out = out;
    command.err = err;
    return Cli.commandLine(command, out, err).execute(args);
  }
}
