package dev.tfmnist.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.cli.PredictMnist;
import dev.tfmnist.testing.TestModels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 10,000 MNIST test images as PNG files, scored on a {@code local[2]} SparkSession with the
 * loader in the executors, against PredictMnist's answers for the same files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SparkScoringTest {
  private static final int IMAGES = 10_000;

  private Path pngs;
  private SparkSession spark;
  private Map<String, Integer> predictMnist;

  @BeforeAll
  void start() throws Exception {
    pngs = Files.createDirectories(TestModels.workDir().resolve("spark-pngs"));
    float[] pixels = TestModels.testImages(0, IMAGES);
    var files = new ArrayList<String>();
    for (int i = 0; i < IMAGES; i++) {
      Path file = pngs.resolve(String.format("test-%05d.png", i));
      writePng(file, pixels, i);
      files.add(file.toString());
    }
    predictMnist = predictMnist(files);
    spark = SparkSession.builder().master("local[2]").appName("SparkScoringTest")
        .config("spark.ui.enabled", "false").getOrCreate();
  }

  @AfterAll
  void stop() {
    spark.stop();
  }

  /** A 28x28 gray PNG of test image i, white digit on black as MNIST stores it. */
  static void writePng(Path file, float[] pixels, int i) throws IOException {
    var image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int p = 0; p < 784; p++) {
      image.getRaster().setSample(p % 28, p / 28, 0, Math.round(pixels[i * 784 + p] * 255));
    }
    ImageIO.write(image, "png", file.toFile());
  }

  /** PredictMnist's digit for each file, from its own output lines ("FILE: 7 (7 1.0000, ...)"). */
  private static Map<String, Integer> predictMnist(List<String> files) {
    var args = new ArrayList<String>();
    args.add("--model");
    args.add(TestModels.tf1Model().toString());
    args.addAll(files);
    var out = new StringWriter();
    var err = new StringWriter();
    int code = PredictMnist.run(args.toArray(String[]::new), new PrintWriter(out),
        new PrintWriter(err));
    assertEquals(0, code, err.toString());
    var digits = new HashMap<String, Integer>();
    for (String line : out.toString().split("\n")) {
      int colon = line.lastIndexOf(": ");
      if (colon > 0) {
        digits.put(line.substring(0, colon), Integer.parseInt(line.substring(colon + 2,
            colon + 3)));
      }
    }
    assertEquals(files.size(), digits.size(), "a digit per file from PredictMnist");
    return digits;
  }

  private static String localPath(String sparkPath) {
    return sparkPath.replaceFirst("^file:", "");
  }

  @Test
  void everyTestImageGetsPredictMnistsDigitWithOneModelLoadInTheJvm() {
    Dataset<Row> files = spark.read().format("binaryFile").load(pngs.toString());
    assertTrue(files.rdd().getNumPartitions() > 2, "several tasks per core share the model: "
        + files.rdd().getNumPartitions() + " partitions");
    List<Row> scored = new SavedModelImageClassifier()
        .setModelPath(TestModels.tf1Model().toString())
        .transform(files)
        .select("path", "digit", "probabilities", "error")
        .collectAsList();
    assertEquals(IMAGES, scored.size());
    int correct = 0;
    int[] labels = TestModels.testLabels(0, IMAGES);
    for (Row row : scored) {
      String path = localPath(row.getString(0));
      assertNull(row.get(3), path);
      assertEquals(predictMnist.get(path), row.getInt(1), path);
      assertEquals(10, row.getList(2).size());
      int index = Integer.parseInt(path.substring(path.length() - 9, path.length() - 4));
      correct += row.getInt(1) == labels[index] ? 1 : 0;
    }
    assertTrue(correct > 9_000, "preprocessed test images still classify: " + correct);
    assertEquals(1, ExecutorModels.loads(), "one model load in this JVM, for every task");
  }

  @Test
  void aFileThatIsNotAnImageGetsAnErrorAndTheOthersTheirDigits(@TempDir Path mixed)
      throws Exception {
    Files.copy(pngs.resolve("test-00000.png"), mixed.resolve("seven.png"));
    Files.writeString(mixed.resolve("notes.txt"), "not an image");
    byte[] png = Files.readAllBytes(pngs.resolve("test-00001.png"));
    Files.write(mixed.resolve("cut.png"), java.util.Arrays.copyOf(png, png.length / 2));
    var rows = new HashMap<String, Row>();
    new SavedModelImageClassifier().setModelPath(TestModels.tf1Model().toString())
        .transform(spark.read().format("binaryFile").load(mixed.toString()))
        .select("path", "digit", "probabilities", "error").collectAsList()
        .forEach(r -> rows.put(Path.of(localPath(r.getString(0))).getFileName().toString(), r));
    assertEquals(3, rows.size());
    assertEquals(predictMnist.get(pngs.resolve("test-00000.png").toString()),
        rows.get("seven.png").getInt(1));
    for (String bad : List.of("notes.txt", "cut.png")) {
      Row row = rows.get(bad);
      assertTrue(row.isNullAt(1) && row.isNullAt(2), bad + ": no digit");
      assertTrue(row.getString(3).contains(bad), row.getString(3));
    }
    assertTrue(rows.get("notes.txt").getString(3).endsWith("not a PNG, JPEG or PGM image"),
        rows.get("notes.txt").getString(3));
  }

  @Test
  void aMissingOrBrokenModelFailsBeforeAnyTaskWithOneLine(@TempDir Path models)
      throws Exception {
    Dataset<Row> files = spark.read().format("binaryFile").load(pngs.toString());
    Path missing = models.resolve("missing");
    var thrown = assertThrows(ModelUnavailableException.class,
        () -> new SavedModelImageClassifier().setModelPath(missing.toString()).transform(files));
    assertEquals(missing + ": no such directory", thrown.getMessage());
    Path broken = models.resolve("broken");
    Files.createDirectories(broken);
    Files.writeString(broken.resolve("saved_model.pb"), "not a protocol buffer");
    thrown = assertThrows(ModelUnavailableException.class,
        () -> new SavedModelImageClassifier().setModelPath(broken.toString()).transform(files));
    assertTrue(thrown.getMessage().startsWith(broken.toString()), thrown.getMessage());
    assertEquals(1, thrown.getMessage().lines().count(), thrown.getMessage());
  }

  @Test
  void scoreImagesWritesEveryFileOnceWithPredictMnistsDigits(@TempDir Path work) throws Exception {
    Path subset = work.resolve("images");
    Files.createDirectories(subset.resolve("nested"));
    for (int i = 0; i < 2000; i++) {
      String name = String.format("test-%05d.png", i);
      Files.copy(pngs.resolve(name), (i % 2 == 0 ? subset : subset.resolve("nested"))
          .resolve(name));
    }
    Path output = work.resolve("scores.parquet");
    var out = new StringWriter();
    var err = new StringWriter();
    int code = ScoreImages.run(new String[] {"--model", TestModels.tf1Model().toString(),
        "--images", subset.toString(), "--output", output.toString(), "--master", "local[2]",
        "--batch-size", "50"}, new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    assertEquals("scored 2000 images into " + output + "\n", out.toString());
    List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
    assertEquals(2000, rows.size());
    assertEquals(List.of("path", "digit", "probabilities", "error"),
        List.of(spark.read().parquet(output.toString()).columns()));
    var seen = new java.util.HashSet<String>();
    for (Row row : rows) {
      String name = Path.of(localPath(row.getString(0))).getFileName().toString();
      assertTrue(seen.add(name), "scored twice: " + name);
      assertEquals(predictMnist.get(pngs.resolve(name).toString()), row.getInt(1), name);
    }

    var again = new StringWriter();
    assertEquals(1, ScoreImages.run(new String[] {"--model", TestModels.tf1Model().toString(),
        "--images", subset.toString(), "--output", output.toString()}, new PrintWriter(out),
        new PrintWriter(again)));
    assertEquals("ScoreImages: error: " + output + ": exists already; give a new output path\n",
        again.toString());
    var usage = new StringWriter();
    assertEquals(2, ScoreImages.run(new String[] {"--images", "x", "--output", "y"},
        new PrintWriter(out), new PrintWriter(usage)));
    assertTrue(usage.toString().startsWith("ScoreImages: Missing required option: '--model=DIR'"),
        usage.toString());
    var badModel = new StringWriter();
    assertEquals(1, ScoreImages.run(new String[] {"--model", work.resolve("none").toString(),
        "--images", subset.toString(), "--output", work.resolve("o2").toString()},
        new PrintWriter(out), new PrintWriter(badModel)));
    assertEquals("ScoreImages: error: " + work.resolve("none") + ": no such directory\n",
        badModel.toString());
  }

  @Test
  void theTransformerIsAStageOfASparkMlPipeline() {
    Dataset<Row> files = spark.read().format("binaryFile").load(pngs.toString()).limit(100);
    var classifier = new SavedModelImageClassifier()
        .setModelPath(TestModels.tf1Model().toString())
        .setDigitCol("predicted")
        .setBatchSize(16);
    var pipeline = new org.apache.spark.ml.Pipeline()
        .setStages(new org.apache.spark.ml.PipelineStage[] {classifier});
    List<Row> rows = pipeline.fit(files).transform(files).select("path", "predicted")
        .collectAsList();
    assertEquals(100, rows.size());
    for (Row row : rows) {
      assertEquals(predictMnist.get(localPath(row.getString(0))), row.getInt(1));
    }
    var copy = classifier.copy(new org.apache.spark.ml.param.ParamMap());
    assertEquals(classifier.getModelPath(), copy.getModelPath());
    assertEquals(16, copy.getBatchSize());
  }
}
