package dev.tfmnist.spark;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Scores a set of image files on Spark: reads them with the {@code binaryFile} source, classifies
 * each with {@link SavedModelImageClassifier} (one model per executor JVM), and writes Parquet
 * with {@code path}, {@code digit}, {@code probabilities} and {@code error}. Under spark-submit
 * the master is spark-submit's; {@code --master local[2]} runs it in this JVM.
 */
@Command(
    name = "ScoreImages",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Classifies image files (PNG, JPEG, PGM; any size) with a SavedModel digit classifier on",
      "Apache Spark and writes Parquet: path, digit, probabilities, error. A file that is not an",
      "image gets a null digit and an error; a model that cannot be loaded stops the job at once."
    })
public final class ScoreImages implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "DIR", required = true,
      description = "SavedModel directory (or base directory) that every executor can read.")
  String model;

  @Option(names = "--images", paramLabel = "PATH", required = true,
      description = "Image files: a directory (read recursively), a file or a glob, on any file system Spark reads.")
  String images;

  @Option(names = "--output", paramLabel = "PATH", required = true,
      description = "Parquet directory to write; it must not exist.")
  String output;

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master, e.g. local[2]; default: what spark-submit gives.")
  String master;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Images run through the model together (default: ${DEFAULT-VALUE}).")
  int batchSize = 64;

  private static final String OPEN_COST = "spark.sql.files.openCostInBytes";
  private static final String IMAGE_BYTES = Long.toString(64 * 1024);

  private PrintWriter out;

  @Override
  public Integer call() throws InterruptedException {
    if (batchSize < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--batch-size must be at least 1, got " + batchSize);
    }
    if (!output.contains("://") && Files.exists(Path.of(output))) {
      throw new IllegalStateException(output + ": exists already; give a new output path");
    }
    boolean ours = SparkSession.getActiveSession().isEmpty();
    var builder = SparkSession.builder().appName("ScoreImages");
    if (master != null) {
      builder.master(master);
    }
    SparkSession spark = builder.getOrCreate();
    boolean setCost = !spark.conf().contains(OPEN_COST);  // set by nobody: Spark's default
    if (setCost) {
      // Spark counts each file as 4 MB when packing files into tasks: 32 images a task, and a
      // task's overhead for every 32 images. Counted as what an image is, files are spread
      // evenly over the cores (one task per core for a small set), and a large set still gets
      // many tasks of up to spark.sql.files.maxPartitionBytes each.
      spark.conf().set(OPEN_COST, IMAGE_BYTES);
    }
    try {
      var classifier = new SavedModelImageClassifier()
          .setModelPath(model)
          .setBatchSize(batchSize);
      Dataset<Row> files = spark.read().format("binaryFile")
          .option("recursiveFileLookup", "true")
          .load(images);
      // counted while written, not by reading the output again
      var counts = new Observation("scored");
      classifier.transform(files)
          .select("path", "digit", "probabilities", "error")
          .observe(counts, functions.count(functions.lit(1)).as("rows"),
              functions.count(functions.col("error")).as("errors"))
          .write().parquet(output);
      Map<String, Object> observed = counts.getAsJava();
      long scored = ((Number) observed.get("rows")).longValue();
      long errors = ((Number) observed.get("errors")).longValue();
      out.println("scored " + scored + " images" + (errors == 0 ? ""
          : " (" + errors + " not images: see the error column)") + " into " + output);
      out.flush();
      return 0;
    } finally {
      if (ours) {
        spark.stop();
      } else if (setCost) {
        spark.conf().unset(OPEN_COST);  // a session lent by the caller is given back as it was
      }
    }
  }

  public static void main(String[] args) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "dev/tfmnist/spark/log4j2-quiet.properties");
    }
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * Runs the command and returns the exit code: 0, 2 for a bad command line, 1 for a model,
   * images or output that cannot be used (one line on {@code err} each). Reuses an active
   * SparkSession (and leaves it running), else makes one and stops it.
   */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    var command = new ScoreImages();
    command.out = out;
    var line = new CommandLine(command).setOut(out).setErr(err);
    line.setParameterExceptionHandler((e, a) -> {
      err.println("ScoreImages: " + e.getMessage() + " (see --help)");
      err.flush();
      return 2;
    });
    line.setExecutionExceptionHandler((e, cmd, parsed) -> {
      err.println("ScoreImages: error: " + oneLine(e));
      err.flush();
      return 1;
    });
    return line.execute(args);
  }

  /** A failure as one line: the model's own message, or Spark's first line. */
  private static String oneLine(Exception e) {
    Throwable t = e;
    while (t != null && !(t instanceof ModelUnavailableException)) {
      t = t.getCause();
    }
    String message = t != null ? t.getMessage() : e.getMessage() != null ? e.getMessage()
        : e.toString();
    return message.lines().findFirst().orElse(e.toString()).strip();
  }
}
