package dev.tfmnist.training;

import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistSplit;
import dev.tfmnist.model.GraphNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.stream.Stream;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.summary.SummaryWriter;
import org.tensorflow.proto.SummaryMetadata;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Writes a training run for TensorBoard with TensorFlow's own summary ops (a
 * {@code SummaryWriter} resource initialised by {@code CreateSummaryFileWriter}, then
 * {@code WriteScalarSummary}, {@code WriteHistogramSummary} and {@code WriteGraphSummary}), added
 * to the trainer's graph and run in its session, so the event files, their records and CRCs are
 * TensorFlow's. The ops only read: values computed by training are fed back in, variables are read,
 * so training's numbers do not change.
 *
 * <p>What it writes: {@code train/loss} every {@link #LOSS_EVERY} steps; at every evaluation
 * {@code test/accuracy} and {@code test/loss}, {@code train/learning_rate},
 * {@code train/steps_per_second}, a histogram of each of the eight variables (tag: the variable's
 * name) and of its gradient ({@code conv1/weights/gradient}: the loss's gradient on a fixed probe
 * batch, the first {@link #GRADIENT_PROBE_SIZE} training images with keep_prob 1, in a run of its own
 * that changes nothing, so training's numbers stay as they are) and two images ({@code WriteImageSummary}): {@code test/misclassified}, the first
 * misclassified test digits labelled prediction/truth, and {@code conv1/filters}, conv1's 32
 * filters; and, when the run starts at step 0, the training graph as it was before these ops joined
 * it. A resumed run writes only from its first step on, so no step is written twice.
 * {@link #writeText} adds Markdown for the Text tab, {@link #writeOriginalRun} the original program's curve as a run of its own.
 *
 * <p>Closing flushes and closes the writer in the session; close it before the trainer.
 */
public final class TensorBoardLog implements TrainingListener, AutoCloseable {
  /** Training loss is written after every step that is a multiple of this. */
  public static final int LOSS_EVERY = 10;
  /** The gradients' histograms are taken on this many training images, always the same ones. */
  public static final int GRADIENT_PROBE_SIZE = 100;

  private final MnistTrainer trainer;
  private final Path runDir;
  private final Placeholder<TInt64> step;
  private final Placeholder<TString> tag;
  private final Placeholder<TFloat32> value;
  private final Op writeScalar;
  private final Op writeHistograms;
  private final Op writeGradientHistograms;
  private final float[] probeImages;
  private final float[] probeLabels;
  private final Placeholder<TString> textValue;
  private final Placeholder<TString> textMetadata;
  private final Op writeText;
  private final Placeholder<TUint8> image;
  private final Op writeImage;
  private final org.tensorflow.Output<?> conv1Weights;
  private final MnistSplit test;
  private final Op flush;
  private final Op close;
  private final int firstStep;
  private long intervalStartNanos;
  private long lastStepNanos;
  private int intervalStartStep;
  private boolean closed;

  /**
   * Adds the summary ops to {@code trainer}'s graph and opens a file writer on {@code runDir} (which
   * must exist) in its session. {@code firstStep} is the step training continues from, 0 for a new
   * run; the graph is written only then. {@code data} is what the loop trains and evaluates on:
   * the misclassified digits are drawn from its test split, the gradients' probe batch from its
   * training split.
   */
  public TensorBoardLog(MnistTrainer trainer, Path runDir, int firstStep, MnistDataset data) {
    this.trainer = trainer;
    this.test = data.test();
    int probe = Math.min(GRADIENT_PROBE_SIZE, data.train().count());
    probeImages = new float[probe * MnistSplit.PIXELS];
    probeLabels = new float[probe * MnistSplit.CLASSES];
    data.train().copyImages(0, probe, probeImages);
    data.train().fillOneHot(0, probe, probeLabels);
    this.runDir = runDir;
    this.firstStep = firstStep;
    var graph = trainer.graph();
    byte[] graphDef = graph.toGraphDef().toByteArray();  // before the summary ops join it
    var tf = Ops.create(graph).withSubScope("summaries");
    Operand<?> writer = tf.summary.summaryWriter(SummaryWriter.sharedName("tensorboard_log"));
    var create = tf.summary.createSummaryFileWriter(writer, tf.constant(runDir.toString()),
        tf.constant(100), tf.constant(10_000), tf.constant(".v2"));
    step = tf.placeholder(TInt64.class);
    tag = tf.placeholder(TString.class);
    value = tf.placeholder(TFloat32.class);
    writeScalar = tf.summary.writeScalarSummary(writer, step, tag, value);
    var histograms = new ArrayList<Op>();
    for (String name : GraphNames.VARIABLES) {
      histograms.add(tf.summary.writeHistogramSummary(writer, step, tf.constant(name),
          graph.operation(name).output(0)));
    }
    writeHistograms = tf.withControlDependencies(histograms).noOp();
    var gradientHistograms = new ArrayList<Op>();
    var gradients = trainer.gradients();
    for (int i = 0; i < gradients.size(); i++) {
      gradientHistograms.add(tf.summary.writeHistogramSummary(writer, step,
          tf.constant(GraphNames.VARIABLES.get(i) + "/gradient"), gradients.get(i)));
    }
    writeGradientHistograms = tf.withControlDependencies(gradientHistograms).noOp();
    var graphBytes = tf.placeholder(TString.class);
    var writeGraph = tf.summary.writeGraphSummary(writer, step, graphBytes);
    textValue = tf.placeholder(TString.class);
    textMetadata = tf.placeholder(TString.class);
    writeText = tf.summary.writeSummary(writer, step, textValue, tag, textMetadata);
    image = tf.placeholder(TUint8.class);
    writeImage = tf.summary.writeImageSummary(writer, step, tag, image,
        tf.constant(new byte[] {(byte) 255, 0, 0, (byte) 255}));
    conv1Weights = graph.operation(GraphNames.CONV1 + "/" + GraphNames.WEIGHTS).output(0);
    flush = tf.summary.flushSummaryWriter(writer);
    close = tf.summary.closeSummaryWriter(writer);

    var session = trainer.session();
    runTargets(session.runner().addTarget(create));
    if (firstStep == 0) {
      try (var stepTensor = TInt64.scalarOf(0);
          var bytes = TString.tensorOfBytes(NdArrays.scalarOfObject(graphDef))) {
        runTargets(session.runner().feed(step, stepTensor).feed(graphBytes, bytes)
            .addTarget(writeGraph));
      }
    }
    intervalStartNanos = System.nanoTime();
    intervalStartStep = firstStep;
  }

  /** The directory the event files go into. */
  public Path runDir() {
    return runDir;
  }

  /** Writes the training loss every {@link #LOSS_EVERY} steps. */
  @Override
  public void stepFinished(int step, float loss) {
    lastStepNanos = System.nanoTime();
    if (step >= firstStep && step % LOSS_EVERY == 0) {
      scalar(step, "train/loss", loss);
    }
  }

  /** Asks the loop for the test loss: it is fetched from the accuracy's runs. */
  @Override
  public boolean wantsTestDetails() {
    return true;
  }

  /** Writes {@code test/loss} and a grid of the first misclassified test digits. */
  @Override
  public void tested(int step, MnistTrainer.TestResult result) {
    scalar(step, "test/loss", (float) result.loss());
    image(step, "test/misclassified", TensorBoardImages.misclassified(test, result.predicted()));
  }

  /**
   * Writes the evaluation's accuracy, the learning rate, the training speed since the last
   * evaluation (evaluations not counted) and the variables' histograms, then flushes.
   */
  @Override
  public void evaluated(Evaluation evaluation) {
    int at = evaluation.step();
    double seconds = (lastStepNanos - intervalStartNanos) / 1e9;
    int steps = at + 1 - intervalStartStep;
    scalar(at, "test/accuracy", (float) evaluation.accuracy());
    scalar(at, "train/learning_rate", trainer.config().learningRate());
    if (steps > 0 && seconds > 0) {
      scalar(at, "train/steps_per_second", (float) (steps / seconds));
    }
    try (var stepTensor = TInt64.scalarOf(at)) {
      runTargets(trainer.session().runner().feed(step, stepTensor).addTarget(writeHistograms));
      int n = probeLabels.length / MnistSplit.CLASSES;
      try (var images = TFloat32.tensorOf(org.tensorflow.ndarray.Shape.of(n, MnistSplit.PIXELS),
              org.tensorflow.ndarray.buffer.DataBuffers.of(probeImages, true, false));
          var labels = TFloat32.tensorOf(org.tensorflow.ndarray.Shape.of(n, MnistSplit.CLASSES),
              org.tensorflow.ndarray.buffer.DataBuffers.of(probeLabels, true, false))) {
        runTargets(trainer.runnerWithBatch(images, labels).feed(step, stepTensor)
            .addTarget(writeGradientHistograms));
      }
    }
    try (var result = trainer.session().runner().fetch(conv1Weights).run()) {
      image(at, "conv1/filters", TensorBoardImages.filters((TFloat32) result.get(0)));
    }
    runTargets(trainer.session().runner().addTarget(flush));
    intervalStartNanos = System.nanoTime();
    intervalStartStep = at + 1;
  }

  private void image(int at, String name, java.awt.image.BufferedImage picture) {
    int height = picture.getHeight();
    int width = picture.getWidth();
    var rgb = new byte[height * width * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int pixel = picture.getRGB(x, y);
        int at3 = (y * width + x) * 3;
        rgb[at3] = (byte) (pixel >> 16);
        rgb[at3 + 1] = (byte) (pixel >> 8);
        rgb[at3 + 2] = (byte) pixel;
      }
    }
    try (var stepTensor = TInt64.scalarOf(at);
        var tagTensor = TString.scalarOf(name);
        var imageTensor = TUint8.tensorOf(org.tensorflow.ndarray.Shape.of(1, height, width, 3),
            org.tensorflow.ndarray.buffer.DataBuffers.of(rgb, true, false))) {
      runTargets(trainer.session().runner()
          .feed(step, stepTensor).feed(tag, tagTensor).feed(image, imageTensor)
          .addTarget(writeImage));
    }
  }

  private void scalar(int at, String name, float number) {
    try (var stepTensor = TInt64.scalarOf(at);
        var tagTensor = TString.scalarOf(name);
        var valueTensor = TFloat32.scalarOf(number)) {
      runTargets(trainer.session().runner()
          .feed(step, stepTensor).feed(tag, tagTensor).feed(value, valueTensor)
          .addTarget(writeScalar));
    }
  }

  /**
   * Writes {@code markdown} for TensorBoard's Text tab under {@code tagName}, at the run's first
   * step: a {@code WriteSummary} of a string tensor whose SummaryMetadata names the text plugin,
   * as {@code tf.summary.text} writes it. Text in a fixed-width layout should be indented by four
   * spaces (a Markdown code block).
   */
  public void writeText(String tagName, String markdown) {
    writeSummary(firstStep, tagName, markdown, pluginMetadata("text", new byte[0]));
  }

  /**
   * Writes the run's hyperparameters for TensorBoard's HParams tab (the hparams plugin's
   * {@code _hparams_/experiment} and {@code _hparams_/session_start_info}, with
   * {@code test/accuracy}, {@code test/loss} and {@code train/loss} as its metrics), when the run
   * starts at step 0; a resumed run has them already.
   */
  public void writeHParams() {
    if (firstStep != 0) {
      return;
    }
    var hparams = HParamsData.of(trainer.config());
    double now = System.currentTimeMillis() / 1000.0;
    writeSummary(0, "_hparams_/experiment", "",
        pluginMetadata("hparams", HParamsData.experiment(hparams, now)));
    writeSummary(0, "_hparams_/session_start_info", "",
        pluginMetadata("hparams", HParamsData.sessionStart(hparams, now)));
  }

  /**
   * Tells the HParams tab the run has ended ({@code _hparams_/session_end_info}): successfully when
   * {@code completed}, else with an unknown status (a stopped run that may be resumed).
   */
  public void writeSessionEnd(int lastStep, boolean completed) {
    var status = completed ? HParamsData.Status.SUCCESS : HParamsData.Status.UNKNOWN;
    writeSummary(lastStep, "_hparams_/session_end_info", "", pluginMetadata("hparams",
        HParamsData.sessionEnd(status, System.currentTimeMillis() / 1000.0)));
  }

  private static byte[] pluginMetadata(String plugin, byte[] content) {
    return SummaryMetadata.newBuilder()
        .setPluginData(SummaryMetadata.PluginData.newBuilder().setPluginName(plugin)
            .setContent(com.google.protobuf.ByteString.copyFrom(content)))
        .build().toByteArray();
  }

  /** A string tensor under {@code tagName} with the given SummaryMetadata, via WriteSummary. */
  private void writeSummary(int at, String tagName, String text, byte[] metadata) {
    try (var stepTensor = TInt64.scalarOf(at);
        var tagTensor = TString.scalarOf(tagName);
        var textTensor = TString.scalarOf(text);
        var metadataTensor = TString.tensorOfBytes(NdArrays.scalarOfObject(metadata))) {
      runTargets(trainer.session().runner()
          .feed(step, stepTensor).feed(tag, tagTensor).feed(textValue, textTensor)
          .feed(textMetadata, metadataTensor).addTarget(writeText));
    }
  }

  /**
   * Writes the original program's curve ({@link TrainingCurves#originalCurve()}: its printed
   * {@code test/accuracy} at steps 0, 50, ..., 950) as a run of its own into {@code dir}, so
   * TensorBoard overlays it on this run's, with a writer of its own that is closed before this
   * returns. A {@code dir} that already holds an event file is left as it is: every run of a logdir
   * shares one original curve. Returns whether it wrote.
   */
  public boolean writeOriginalRun(Path dir) throws IOException {
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(dir)) {
      if (files.anyMatch(f -> f.getFileName().toString().startsWith("events.out.tfevents."))) {
        return false;
      }
    }
    var tf = Ops.create(trainer.graph()).withSubScope("summaries_original");
    Operand<?> writer = tf.summary.summaryWriter(SummaryWriter.sharedName("tensorboard_original"));
    var create = tf.summary.createSummaryFileWriter(writer, tf.constant(dir.toString()),
        tf.constant(100), tf.constant(10_000), tf.constant(".v2"));
    var write = tf.summary.writeScalarSummary(writer, step, tf.constant("test/accuracy"), value);
    var session = trainer.session();
    runTargets(session.runner().addTarget(create));
    try {
      var accuracies = TrainingCurves.originalCurve();
      for (int i = 0; i < accuracies.size(); i++) {
        try (var stepTensor = TInt64.scalarOf((long) i * TrainingCurves.ORIGINAL_EVAL_EVERY);
            var valueTensor = TFloat32.scalarOf(accuracies.get(i).floatValue())) {
          runTargets(session.runner().feed(step, stepTensor).feed(value, valueTensor)
              .addTarget(write));
        }
      }
    } finally {
      runTargets(session.runner().addTarget(tf.summary.flushSummaryWriter(writer)));
      runTargets(session.runner().addTarget(tf.summary.closeSummaryWriter(writer)));
    }
    return true;
  }

  /** Runs a runner that only has targets, closing its (empty) result. */
  private static void runTargets(Session.Runner runner) {
    runner.run().close();
  }

  /** Flushes and closes the writer; the session stays open. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      runTargets(trainer.session().runner().addTarget(flush));
      runTargets(trainer.session().runner().addTarget(close));
    }
  }
}
