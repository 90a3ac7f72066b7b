package dev.tfmnist.cli;

import dev.tfmnist.data.DataDirectory;
import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistFetcher;
import dev.tfmnist.device.ThreadPools;
import dev.tfmnist.model.Architecture;
import dev.tfmnist.model.Loss;
import dev.tfmnist.model.MnistCnn;
import dev.tfmnist.model.ModelSummary;
import dev.tfmnist.training.Checkpoints;
import dev.tfmnist.training.Evaluation;
import dev.tfmnist.training.InferenceExport;
import dev.tfmnist.training.InvalidSettingException;
import dev.tfmnist.training.MnistTrainer;
import dev.tfmnist.training.TensorBoardLog;
import dev.tfmnist.training.TrainingConfig;
import dev.tfmnist.training.TrainingCurves;
import dev.tfmnist.training.TrainingDivergedException;
import dev.tfmnist.training.TrainingListener;
import dev.tfmnist.training.TrainingLoop;
import dev.tfmnist.training.TrainingState;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.tensorflow.Graph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains the original TF1 MNIST CNN in TensorFlow Java and exports it as a SavedModel. */
@Command(
    name = "TrainMnist",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    sortOptions = false,
    description = {
      "Trains the TF1 MNIST CNN of the original program with TensorFlow Java,",
      "printing the test accuracy every --eval-every steps, and exports the",
      "result as a SavedModel."
    })
public final class TrainMnist implements Callable<Integer> {
  private static final TrainingConfig ORIGINAL = TrainingConfig.ORIGINAL;

  @Option(names = "--steps", paramLabel = "N", description = "Training steps in all, resumed ones included (default: ${DEFAULT-VALUE}).")
  int steps = ORIGINAL.steps();

  @Option(names = "--batch-size", paramLabel = "N", description = "Images per step (default: ${DEFAULT-VALUE}).")
  int batchSize = ORIGINAL.batchSize();

  @Option(names = "--learning-rate", paramLabel = "RATE", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
  float learningRate = ORIGINAL.learningRate();

  @Option(names = "--keep-prob", paramLabel = "P", description = "Dropout keep probability while training (default: ${DEFAULT-VALUE}).")
  float keepProb = ORIGINAL.keepProb();

  @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate on the test set after every step i with i %% N == 0 (default: ${DEFAULT-VALUE}).")
  int evalEvery = ORIGINAL.evalEvery();

  @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the initial weights, batch order and dropout (default: ${DEFAULT-VALUE}).")
  long seed = ORIGINAL.seed();

  @Option(names = "--loss", paramLabel = "original|stable", description = "original: mean(-sum(ys * log(softmax))), as the seed program; stable: fused softmax cross-entropy on the logits (default: original).")
  String loss = "original";

  @Option(names = "--pooling", paramLabel = "max|mean", description = "How the two 2x2 pools reduce a window: max, as the seed program, or mean (default: max).")
  String pooling = "max";

  @Option(names = "--padding", paramLabel = "same|valid", description = "Edges of the convolutions and pools: same pads them, as the seed program (28x28 -> 14 -> 7); valid uses whole windows only (28 -> 24 -> 12 -> 8 -> 4) (default: same).")
  String padding = "same";

  @Option(names = "--data-dir", paramLabel = "DIR", description = "MNIST directory (default: $MNIST_DIR, else data/mnist); missing files are downloaded.")
  Path dataDir;

  @Option(names = "--export-dir", paramLabel = "DIR", description = "SavedModel base directory; the model goes into its next version (default: ${DEFAULT-VALUE}).")
  Path exportDir = Path.of("savedmodel", "java");

  @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Save a checkpoint after every evaluation, at the end, and on Ctrl-C or SIGTERM.")
  Path checkpointDir;

  @Option(names = "--resume", description = "Continue from the latest checkpoint in --checkpoint-dir, with the same data order and random state.")
  boolean resume;

  @Option(names = "--logdir", paramLabel = "DIR", description = "Write the run for TensorBoard into DIR/run-<time>-seed<seed> (with --resume: the resumed run's directory): losses, accuracy, learning rate, steps/s, histograms, the graph. Off by default.")
  Path logdir;

  @Option(names = "--csv", paramLabel = "FILE", description = "Curve as CSV: step, loss, test accuracy, elapsed seconds (default: <export-dir>/<version>-curve.csv).")
  Path csv;

  @Option(names = "--plot", paramLabel = "FILE", description = "Test accuracy against step as a PNG, beside the original's curve (default: <export-dir>/<version>-curve.png).")
  Path plot;

  @Option(names = "--summary", description = "Print the model summary and exit.")
  boolean summaryOnly;

  @Option(names = "--progress", paramLabel = "auto|bar|lines|none", description = "Progress display: a bar on a terminal, plain lines otherwise (default: auto).")
  String progress = "auto";

  @Mixin TensorFlowOptions tensorFlow = new TensorFlowOptions();

  private PrintWriter out;
  private String[] args = new String[0];
  private PrintWriter err;
  private volatile Runnable stopOnSignal;

  @Override
  public Integer call() throws Exception {
    var threads = tensorFlow.threads();
    var config = config(threads);
    var progressMode = choice("--progress", progress, Progress.Mode.class);
    tensorFlow.choice();
    if (resume && checkpointDir == null) {
      throw new IllegalArgumentException("--resume needs --checkpoint-dir");
    }
    if (summaryOnly) {
      tensorFlow.configureLog();
      try (var graph = new Graph()) {
        new MnistCnn(graph, seed, config.architecture());
        printSummary(ModelSummary.of(graph, config.architecture()), config);
      }
      return 0;
    }

    Path runDir = logdir == null ? null : tensorBoardRunDir();

    var plan = tensorFlow.devicesUnlessListing(out);
    if (plan.isEmpty()) {
      return 0;
    }
    var devices = plan.get();
    Path dir = DataDirectory.resolve(dataDir, System::getenv);
    MnistFetcher.builder()
        .log(message -> { err.println(message); err.flush(); })
        .listener(new DownloadProgress(progressMode, err))
        .build()
        .ensure(dir);
    var data = MnistDataset.load(dir);

    var checkpoints = checkpointDir == null ? null : new Checkpoints(checkpointDir, this::warn);
    var finished = new CountDownLatch(1);
    var signalHandler = installSignalHandler(finished);
    try (var trainer = new MnistTrainer(config,
        devices.sessionConfig())) {
      printSummary(trainer.summary(), config);
      out.print(devices.summary());
      var start = TrainingState.start(config, data);
      if (resume) {
        start = resumeFrom(checkpoints, trainer, config).orElse(start);
      }
      TrainingLoop.Outcome run;
      try (var board = runDir == null ? null : new TensorBoardLog(trainer, runDir, start.nextStep(), data)) {
        if (board != null) {
          board.writeOriginalRun(logdir.resolve(ORIGINAL_RUN));
          var summary = trainer.summary();
          board.writeText("run/model_summary", codeBlock(summary.table() + summary.convolutionTable()));
          board.writeText("run/command_line", codeBlock(commandLine()));
          board.writeHParams();
          out.println("TensorBoard events in " + runDir);
        }
        run = train(trainer, data, checkpoints, start, progressMode, board);
        if (board != null) {
          board.writeSessionEnd(Math.max(0, run.state().nextStep() - 1), !run.stopped());
        }
      }
      if (run.stopped()) {
        out.println("stopped before step " + run.state().nextStep() + (checkpoints == null ? ""
            : ": checkpoint saved in " + checkpoints.dir() + "; --resume continues from there"));
        return 0;
      }
      out.printf(Locale.ROOT, "trained %d steps at %.2f steps/s (%.1f s), %d evaluations took %.1f s%n",
          run.stepsRun(), run.stepsPerSecond(), run.stepSeconds(),
          run.evaluations().size() - start.evaluations().size(), run.evaluationSeconds());
      var evaluations = run.evaluations();
      double finalAccuracy = lastStepEvaluated(evaluations, config)
          ? evaluations.get(evaluations.size() - 1).accuracy()
          : trainer.evaluate(data.test());
      out.printf(Locale.ROOT, "final test accuracy %.4f%n", finalAccuracy);
      Path exported = InferenceExport.export(trainer, exportDir);
      out.println("SavedModel written to " + exported);
      writeCurves(evaluations, exported);
      PeakMemory.peakRssBytes().ifPresent(bytes ->
          out.println("Peak RSS (measured): " + ModelSummary.bytes(bytes)));
    } finally {
      out.flush();
      err.flush();
      finished.countDown();
      removeSignalHandler(signalHandler);
    }
    return 0;
  }

  /** The options as a TrainingConfig; a value out of range is named by its option. */
  private TrainingConfig config(ThreadPools threads) {
    try {
      return new TrainingConfig(steps, batchSize, learningRate, keepProb, evalEvery, seed,
          choice("--loss", loss, Loss.class),
          new Architecture(choice("--pooling", pooling, Architecture.Pooling.class),
              choice("--padding", padding, Architecture.Padding.class)),
          ORIGINAL.evalChunk(), threads.intraOpThreads(),
          threads.interOpThreads(), tensorFlow.precision());
    } catch (InvalidSettingException e) {
      String option = switch (e.setting()) {
        case "steps" -> "--steps";
        case "batchSize" -> "--batch-size";
        case "learningRate" -> "--learning-rate";
        case "keepProb" -> "--keep-prob";
        case "evalEvery" -> "--eval-every";
        case "intraOpThreads" -> "--intra-op-threads";
        case "interOpThreads" -> "--inter-op-threads";
        default -> e.setting();
      };
      throw new IllegalArgumentException(option + " " + e.rule(), e);
    }
  }

  /** The original program's curve, a TensorBoard run beside this one's. */
  private static final String ORIGINAL_RUN = "original";

  /** Name of the file in --checkpoint-dir that names the run's TensorBoard directory, for --resume. */
  private static final String RUN_NAME_FILE = "tensorboard-run";

  /**
   * The run's directory under --logdir, created and checked before training starts: a resumed run
   * continues the directory its checkpoints name, a new one gets {@code run-<UTC time>-seed<seed>}.
   * A --logdir that is not a writable directory is a usage error.
   */
  private Path tensorBoardRunDir() throws IOException {
    String name = null;
    Path nameFile = checkpointDir == null ? null : checkpointDir.resolve(RUN_NAME_FILE);
    if (resume && nameFile != null && Files.isRegularFile(nameFile)) {
      name = Files.readString(nameFile).trim();
    }
    if (name == null || name.isEmpty() || name.contains("/") || name.contains("\\")) {
      name = "run-" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)
          .format(java.time.LocalDateTime.now(java.time.ZoneOffset.UTC)) + "-seed" + seed;
    }
    if (Files.exists(logdir) && !Files.isDirectory(logdir)) {
      throw new IllegalArgumentException("--logdir " + logdir + " is not a directory");
    }
    Path runDir = logdir.resolve(name);
    try {
      Files.createDirectories(runDir);
    } catch (IOException e) {
      throw new IllegalArgumentException("--logdir " + logdir + ": cannot create " + runDir
          + ": " + why(e), e);
    }
    if (!Files.isWritable(runDir)) {
      throw new IllegalArgumentException("--logdir " + runDir + " is not writable");
    }
    if (nameFile != null) {
      Files.createDirectories(checkpointDir);
      Files.writeString(nameFile, name + "\n");
    }
    return runDir;
  }

  /** The command line as typed, arguments with spaces or quotes in single quotes. */
  private String commandLine() {
    var line = new StringBuilder("TrainMnist");
    for (String arg : args) {
      line.append(' ').append(arg.matches("[\\w@%+=:,./-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
    }
    return line.toString();
  }

  /** {@code text} as a Markdown code block: each line indented by four spaces. */
  private static String codeBlock(String text) {
    return text.strip().lines().map(line -> "    " + line).collect(java.util.stream.Collectors.joining("\n"));
  }

  /** Why a directory could not be created, in words: "permission denied", "not a directory". */
  private static String why(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof java.nio.file.FileAlreadyExistsException) {
      return "a file is in the way";
    }
    if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
      return fs.getReason().toLowerCase(Locale.ROOT);
    }
    return String.valueOf(e.getMessage());
  }

  private java.util.Optional<TrainingState> resumeFrom(Checkpoints checkpoints,
      MnistTrainer trainer, TrainingConfig config) throws IOException {
    var latest = checkpoints.latest(config);
    if (latest.isEmpty()) {
      warn("no checkpoint in " + checkpoints.dir() + ": starting from step 0");
      return java.util.Optional.empty();
    }
    var checkpoint = latest.get();
    trainer.restoreModelAndOptimizer(checkpoint);
    out.println("resuming from " + checkpoint.dir() + " at step " + checkpoint.state().nextStep());
    return java.util.Optional.of(checkpoint.state());
  }

  /** Runs the loop with a progress display; {@link #stopOnSignal} can stop it. */
  private TrainingLoop.Outcome train(MnistTrainer trainer, MnistDataset data,
      Checkpoints checkpoints, TrainingState start, Progress.Mode progressMode,
      TrainingListener board) {
    var also = board != null ? board : TrainingListener.NONE;
    try (var bar = Progress.start(progressMode, "train", trainer.config().steps(), "steps", 1, err)) {
      bar.update(start.nextStep(), null);
      var loop = new TrainingLoop(trainer, data, new TrainingListener() {
        @Override
        public void stepFinished(int step, float loss) {
          bar.update(step + 1, String.format(Locale.ROOT, "loss %.4f", loss));
          also.stepFinished(step, loss);
        }

        @Override
        public boolean wantsTestDetails() {
          return also.wantsTestDetails();
        }

        @Override
        public void tested(int step, MnistTrainer.TestResult result) {
          also.tested(step, result);
        }

        @Override
        public void evaluated(Evaluation evaluation) {
          bar.println(out, evaluation.line());
          also.evaluated(evaluation);
        }
      }, checkpoints);
      stopOnSignal = loop::requestStop;
      try {
        return loop.run(start);
      } catch (TrainingDivergedException e) {
        throw new Cli.RunError(e.getMessage() + "; see --loss stable and --learning-rate", e);
      }
    }
  }

  /**
   * Turns Ctrl-C or SIGTERM into a stop after the current step, a checkpoint, and a clean exit: the
   * hook asks the loop to stop, then holds the JVM open until {@code call()} has finished.
   */
  private Thread installSignalHandler(CountDownLatch finished) {
    var hook = new Thread(() -> {
      Runnable stop = stopOnSignal;
      if (stop != null) {
        stop.run();
      }
      try {
        finished.await(5, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "stop-training");
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  private static void removeSignalHandler(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running: it lets the JVM exit once call() has returned
    }
  }

  private void printSummary(ModelSummary summary, TrainingConfig config) {
    out.print(summary.table());
    out.print(summary.convolutionTable());
    out.print(summary.memoryEstimate(config.batchSize()));
    out.flush();
  }

  private void writeCurves(List<Evaluation> evaluations, Path exported) throws IOException {
    String version = exported.getFileName().toString();
    Path csvFile = csv != null ? csv : exported.resolveSibling(version + "-curve.csv");
    Path plotFile = plot != null ? plot : exported.resolveSibling(version + "-curve.png");
    TrainingCurves.writeCsv(csvFile, evaluations);
    CurvePlot.write(plotFile, evaluations);
    out.println("Curve written to " + csvFile + " and " + plotFile);
  }

  private void warn(String message) {
    err.println(message);
    err.flush();
  }

  private static boolean lastStepEvaluated(List<Evaluation> evaluations, TrainingConfig config) {
    return !evaluations.isEmpty()
        && evaluations.get(evaluations.size() - 1).step() == config.steps() - 1;
  }

  /** The constant of {@code type} whose name is {@code value} in any case, or a usage error. */
  private static <E extends Enum<E>> E choice(String option, String value, Class<E> type) {
    var names = new java.util.ArrayList<String>();
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(value)) {
        return constant;
      }
      names.add(constant.name().toLowerCase(Locale.ROOT));
    }
    String last = names.remove(names.size() - 1);
    throw new IllegalArgumentException(option + " must be " + String.join(", ", names) + " or "
        + last + ", got '" + value + "'");
  }

  public static void main(String[] args) {
    Cli.routeLibraryLogs();
    System.setProperty("java.awt.headless", "true");
    System.exit(run(args, new PrintWriter(System.out, true),
        new PrintWriter(NativeLog.systemErr(), true)));
  }

  /** Runs the command with the given streams and returns the exit code; main() is this plus exit. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    var command = new TrainMnist();
    command.out = out;
    command.err = err;
    command.args = args.clone();
    return Cli.commandLine(command, out, err).execute(args);
  }
}
