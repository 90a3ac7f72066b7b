package dev.tfmnist.cli;

import static dev.tfmnist.cli.CliRun.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.testing.DigitRenderer;
import dev.tfmnist.testing.TestData;
import dev.tfmnist.testing.TestModels;
import dev.tfmnist.testing.UnregisteredOpModels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PredictMnistCliTest {
  private static final Pattern LINE =
      Pattern.compile("(.+): (\\d) \\((\\d) (0\\.\\d{4}|1\\.0000), (\\d) (0\\.\\d{4}), (\\d) (0\\.\\d{4})\\)");
  private static final int IMAGES = 200;

  private TrainedExport export;

  @BeforeAll
  void train() {
    export = TrainedExport.get();
  }

  static CliRun run(String... args) {
    return CliRun.of(PredictMnist::run, args);
  }



  @Test
  void saveProbabilitiesWritesANumpyArrayOfEveryTestImage(@TempDir Path dir) throws IOException {
    Path npy = dir.resolve("java.npy");
    CliRun run = run("--model", export.baseDir().toString(), "--data-dir",
        TestData.mnistDir().toString(), "--save-probabilities", npy.toString());
    assertEquals(0, run.exitCode(), run.err());
    byte[] bytes = java.nio.file.Files.readAllBytes(npy);
    String header = new String(bytes, 0, 128, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(header.startsWith("\u0093NUMPY\u0001\u0000"), header);
    assertTrue(header.contains("'descr': '<f4', 'fortran_order': False, 'shape': (10000, 10), }"), header);
    assertEquals(128 + 4 * 10000 * 10, bytes.length, "a 64-byte-aligned header and the floats");
    var floats = java.nio.ByteBuffer.wrap(bytes, 128, 40).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float sum = 0;
    for (int c = 0; c < 10; c++) {
      sum += floats.getFloat();
    }
    assertEquals(1f, sum, 1e-5f, "the first image's probabilities");
  }

  @Test
  void theAnswerIsAllItPrints() {
    CliRun run = run("--model", export.baseDir().toString(), "--device", "cpu",
        "--data-dir", TestData.mnistDir().toString());
    assertEquals(0, run.exitCode(), run.err());
    assertEquals("", run.err());
    assertTrue(run.out().strip().matches("test accuracy 0\\.\\d{4}"), run.out());
  }

  @Test
  void anOpTheModelNeedsIsNamedWithTheOptionThatLoadsItsLibrary(@TempDir Path dir)
      throws IOException {
    assertOneLineError(run("--model", UnregisteredOpModels.inGraph().toString()), 1,
        "uses the op " + UnregisteredOpModels.OP + ", which this TensorFlow does not have: "
            + "load the library that defines it with --load-library FILE");
    assertOneLineError(run("--load-library", dir.resolve("missing.so").toString(),
        "--model", TestModels.tf1Model().toString()), 1, "missing.so: no such op library");
    Path text = Files.writeString(dir.resolve("text.so"), "not a library");
    assertOneLineError(run("--load-library", text.toString(), "--model",
        TestModels.tf1Model().toString()), 1, "text.so: cannot load it as an op library");
  }

  @Test
  void listDevicesNeedsNoModel() {
    CliRun run = run("--list-devices");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("Devices TensorFlow sees:\n"), run.out());
    assertTrue(run.out().contains("\nRunning on: "), run.out());
    assertOneLineError(run("--top", "2"), 2, "PredictMnist: Missing required option: '--model=DIR'");
  }

  @Test
  void testAccuracyEqualsTrainMnistsFinalAccuracyExactly() {
    CliRun run = run("--model", export.baseDir().toString(),
        "--data-dir", TestData.mnistDir().toString());
    assertEquals(0, run.exitCode(), run.err());
    assertEquals("", run.problems());
    assertEquals(export.finalAccuracyLine().replace("final ", ""), run.out().strip());
  }

  @Test
  void imageFilesOfEverySortAreClassifiedAsWellAsTheTestImagesThemselves(@TempDir Path dir)
      throws IOException {
    float[] pixels = TestModels.testImages(0, IMAGES);
    int[] labels = TestModels.testLabels(0, IMAGES);
    var files = new ArrayList<String>();
    var labelOf = new HashMap<String, Integer>();
    var kindOf = new HashMap<String, String>();
    for (int i = 0; i < IMAGES; i++) {
      float[] digit = java.util.Arrays.copyOfRange(pixels, i * 784, i * 784 + 784);
      Path file = render(digit, i, dir);
      files.add(file.toString());
      labelOf.put(file.toString(), labels[i]);
      kindOf.put(file.toString(), file.getFileName().toString().replaceAll("^\\d+-", ""));
    }
    var args = new ArrayList<>(List.of("--model", export.baseDir().toString()));
    args.addAll(files);
    CliRun run = run(args.toArray(String[]::new));
    assertEquals(0, run.exitCode(), run.err());
    assertEquals("", run.problems());

    List<String> lines = run.out().lines().toList();
    assertEquals(IMAGES, lines.size(), run.out());
    int correct = 0;
    var correctByKind = new HashMap<String, Integer>();
    var countByKind = new HashMap<String, Integer>();
    for (int i = 0; i < IMAGES; i++) {
      Matcher m = LINE.matcher(lines.get(i));
      assertTrue(m.matches(), "unexpected line: " + lines.get(i));
      assertEquals(files.get(i), m.group(1), "one line per file, in order");
      assertEquals(m.group(2), m.group(3), "the predicted digit comes first in the top 3");
      assertTrue(Double.parseDouble(m.group(4)) >= Double.parseDouble(m.group(6))
          && Double.parseDouble(m.group(6)) >= Double.parseDouble(m.group(8)), lines.get(i));
      String kind = kindOf.get(files.get(i));
      countByKind.merge(kind, 1, Integer::sum);
      if (Integer.parseInt(m.group(2)) == labelOf.get(files.get(i))) {
        correct++;
        correctByKind.merge(kind, 1, Integer::sum);
      }
    }
    double fileRate = (double) correct / IMAGES;
    double modelRate = modelAccuracyOnTheSameImages(pixels, labels);
    System.out.printf(Locale.ROOT, "image files %.3f, the same test images fed directly %.3f; "
        + "correct by kind %s of %s%n", fileRate, modelRate, correctByKind, countByKind);
    assertTrue(fileRate >= modelRate - 0.01, String.format(Locale.ROOT,
        "image files classified %.3f, the model gets %.3f on the same images", fileRate, modelRate));
    assertTrue(fileRate >= export.finalAccuracy() - 0.01, String.format(Locale.ROOT,
        "image files classified %.3f, the model's test accuracy is %.4f", fileRate,
        export.finalAccuracy()));
  }

  private double modelAccuracyOnTheSameImages(float[] pixels, int[] labels) throws IOException {
    try (var model = LoadedModel.load(export.baseDir())) {
      var results = ImageClassifier.builder(model).build().classify(pixels, IMAGES);
      int correct = 0;
      for (int i = 0; i < IMAGES; i++) {
        correct += results.get(i).predictedClass() == labels[i] ? 1 : 0;
      }
      return (double) correct / IMAGES;
    }
  }

  /** How a test image becomes a file: size, place, polarity and format. */
  private record FileKind(String name, int scale, int width, int height, int x0, int y0,
      boolean inverted, Format format) {}

  private enum Format { GRAY_PNG, BLUE_INK_PNG, JPEG, PGM_P5, PGM_P2 }

  /** Eight kinds of file, taken in turn. */
  private static final List<FileKind> KINDS = List.of(
      new FileKind("plain.png", 1, 28, 28, 0, 0, false, Format.GRAY_PNG),
      new FileKind("3x.png", 3, 84, 84, 0, 0, false, Format.GRAY_PNG),
      new FileKind("inverted.png", 1, 28, 28, 0, 0, true, Format.GRAY_PNG),
      new FileKind("3x-inverted-off-center.png", 3, 130, 100, 40, 9, true, Format.GRAY_PNG),
      new FileKind("2x-blue-ink-on-cream.png", 2, 70, 60, 10, 2, true, Format.BLUE_INK_PNG),
      new FileKind("3x.jpg", 3, 84, 84, 0, 0, false, Format.JPEG),
      new FileKind("2x-inverted-p5.pgm", 2, 56, 56, 0, 0, true, Format.PGM_P5),
      new FileKind("p2.pgm", 1, 40, 30, 6, 1, false, Format.PGM_P2));

  private static Path render(float[] digit, int i, Path dir) throws IOException {
    FileKind kind = KINDS.get(i % KINDS.size());
    Path file = dir.resolve(String.format(Locale.ROOT, "%03d-%s", i, kind.name()));
    int[][] gray = DigitRenderer.render(digit, kind.scale(), kind.width(), kind.height(),
        kind.x0(), kind.y0(), kind.inverted());
    switch (kind.format()) {
      case GRAY_PNG -> DigitRenderer.writePng(DigitRenderer.grayImage(gray), file);
      case BLUE_INK_PNG -> DigitRenderer.writePng(
          DigitRenderer.colorImage(gray, 0x1a2a80, 0xf5eedc), file);
      case JPEG -> DigitRenderer.writeJpeg(DigitRenderer.grayImage(gray), file);
      case PGM_P5 -> DigitRenderer.writePgm(gray, file, true);
      case PGM_P2 -> DigitRenderer.writePgm(gray, file, false);
      default -> throw new IllegalStateException(kind.toString());
    }
    return file;
  }

  @Test
  void pixelsOfAnyDtypeEncodedImagesAndClassIds(@TempDir Path dir) throws IOException {
    Path model = TestModels.inputFormsModel();
    Path png = dir.resolve("seven.png");
    DigitRenderer.writePng(DigitRenderer.grayImage(DigitRenderer.render(
        TestModels.testImages(0, 1), 1, 28, 28, 0, 0, false)), png);
    // the file's own bytes to a model that decodes PNG; pixels to one that takes uint8
    for (String signature : List.of("png", "uint8")) {
      CliRun run = run("--model", model.toString(), "--signature", signature, png.toString());
      assertEquals(0, run.exitCode(), signature + ": " + run.err());
      assertTrue(run.out().startsWith(png + ": 7 (7 "), signature + ": " + run.out());
    }
    // a Keras 3 model inside a tf.Module, made in Python, whose signature decodes PNG itself
    CliRun keras = run("--model", TestData.projectRoot().resolve("savedmodel/keras-module")
        .toString(), png.toString());
    assertEquals(0, keras.exitCode(), keras.err());
    assertTrue(keras.out().startsWith(png + ": 7 (7 "), keras.out());
    CliRun ids = run("--model", model.toString(), "--signature", "ids", png.toString());
    assertEquals(png + ": 7", ids.out().strip(), ids.err());
    // the test set, PNG-encoded for the model that takes PNG, scores the same as uint8 pixels
    String png10k = run("--model", model.toString(), "--signature", "png", "--data-dir",
        TestData.mnistDir().toString()).out();
    assertTrue(png10k.matches("test accuracy 0\\.\\d{4}\\s*"), png10k);
    assertEquals(png10k, run("--model", model.toString(), "--signature", "uint8", "--data-dir",
        TestData.mnistDir().toString()).out());
    assertOneLineError(run("--model", model.toString(), "--signature", "ids", "--data-dir",
        TestData.mnistDir().toString(), "--save-probabilities", dir.resolve("p.npy").toString()),
        2, "--save-probabilities needs class scores; output \"classes\" gives class ids only");
  }

  @Test
  void worksOnAnotherClassifiersNamesAndShapes(@TempDir Path dir) throws IOException {
    Path centroid = TestModels.centroidModel();
    Path png = dir.resolve("seven.png");
    DigitRenderer.writePng(DigitRenderer.grayImage(DigitRenderer.render(
        TestModels.testImages(0, 1), 2, 56, 56, 0, 0, true)), png);

    CliRun run = run("--model", centroid.toString(), png.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith(png + ": 7 (7 "), run.out());

    CliRun ambiguous = run("--model", centroid.toString(), "--signature", "square", png.toString());
    assertOneLineError(ambiguous, 2, "signature square has 2 outputs that fit [-1, 10] class "
        + "scores (or [-1] class ids): \"logits\" float32 [-1, 10], \"probs\" float32 [-1, 10]; name one (choose with "
        + "--output NAME)");
    CliRun chosen = run("--model", centroid.toString(), "--signature", "square", "--output", "logits",
        png.toString());
    assertEquals(0, chosen.exitCode(), chosen.err());
    assertTrue(chosen.out().startsWith(png + ": 7 ("), chosen.out());

    CliRun twoInputs = run("--model", centroid.toString(), "--signature", "pair", png.toString());
    assertOneLineError(twoInputs, 2, "\"left\" float32 [-1, 28, 28, 1], \"right\" float32 "
        + "[-1, 784]; name one (choose with --input NAME)");

    CliRun accuracy = run("--model", centroid.toString(), "--data-dir", TestData.mnistDir().toString());
    assertEquals(0, accuracy.exitCode(), accuracy.err());
    assertTrue(accuracy.out().matches("test accuracy 0\\.8\\d{3}\\s*"), accuracy.out());
  }

  @Test
  void listSignaturesPrintsTheTable() {
    CliRun run = run("--model", export.baseDir().toString(), "--list-signatures");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("serving_default  input   xs             float32  [-1, 784]  xs:0"),
        run.out());
  }

  @Test
  void aMissingDirectoryIsOneLine(@TempDir Path dir) {
    assertOneLineError(run("--model", dir.resolve("missing").toString(), "--data-dir",
        TestData.mnistDir().toString()), 1, dir.resolve("missing") + ": no such directory");
  }

  @Test
  void aDirectoryThatIsNoSavedModelIsOneLine(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "hello");
    assertOneLineError(run("--model", dir.toString(), "--data-dir", TestData.mnistDir().toString()),
        1, dir + ": not a SavedModel");
  }

  @Test
  void corruptedVariablesAreOneLine(@TempDir Path dir) throws IOException {
    Path copy = dir.resolve("1");
    PathUtils.copyDirectory(export.versionDir(), copy);
    Path data = copy.resolve("variables").resolve("variables.data-00000-of-00001");
    try (var file = new RandomAccessFile(data.toFile(), "rw")) {
      file.seek(1000);
      file.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    }
    assertOneLineError(run("--model", dir.toString(), "--data-dir", TestData.mnistDir().toString()),
        1, copy + ": cannot load the SavedModel: ");
  }

  @Test
  void badImageFilesAreOneLineNamingTheFile(@TempDir Path dir) throws IOException {
    Path text = dir.resolve("digit.png");
    Files.writeString(text, "not an image");
    assertOneLineError(run("--model", export.baseDir().toString(), text.toString()), 1,
        text + ": not a PNG, JPEG or PGM image");

    Path truncated = dir.resolve("digit.pgm");
    Files.writeString(truncated, "P5\n28 28\n255\n" + "x".repeat(100));
    assertOneLineError(run("--model", export.baseDir().toString(), truncated.toString()), 1,
        truncated + ": expected 784 samples (784 bytes) for 28x28, found 100 bytes");

    Path blank = dir.resolve("blank.pgm");
    Files.writeString(blank, "P2\n2 2\n255\n0 0 0 0\n");
    assertOneLineError(run("--model", export.baseDir().toString(), blank.toString()), 1,
        blank + ": no digit found");

    assertOneLineError(run("--model", export.baseDir().toString(),
        dir.resolve("none.png").toString()), 1, dir.resolve("none.png") + ": no such file");
  }

  @Test
  void badOptionsAreUsageErrors() {
    assertOneLineError(run("--model", export.baseDir().toString(), "--signature", "classify",
        "--data-dir", TestData.mnistDir().toString()), 2,
        "Serving signature key \"classify\" not found; the model's signatures are serving_default");
    assertOneLineError(run("--model", export.baseDir().toString(), "--top", "11"), 2,
        "--top must be in 1..10, got 11");
    assertOneLineError(run("--data-dir", "x"), 2, "--model");
    CliRun help = run("--help");
    assertEquals(0, help.exitCode());
    for (String option : List.of("--model", "--data-dir", "--signature", "--input", "--output")) {
      assertTrue(help.out().contains(option), option + " missing from --help");
    }
  }
}
