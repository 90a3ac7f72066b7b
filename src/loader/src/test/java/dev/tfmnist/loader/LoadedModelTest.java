package dev.tfmnist.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.Concurrently;
import dev.tfmnist.testing.TestModels;
import dev.tfmnist.testing.UnregisteredOpModels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** The loader on real SavedModels: TrainMnist's export and two built with TF Java. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoadedModelTest {
  private LoadedModel mnist;
  private Path mnistDir;

  @BeforeAll
  void load() throws IOException {
    mnistDir = TestModels.tf1ModelVersion();
    mnist = LoadedModel.load(TestModels.tf1Model());
  }

  @AfterAll
  void close() {
    mnist.close();
  }

  @Test
  void baseDirectoryLoadsItsHighestIntegerVersion(@TempDir Path base) throws IOException {
    PathUtils.copyDirectory(mnistDir, base.resolve("3"));
    PathUtils.copyDirectory(TestModels.centroidModel(), base.resolve("12"));
    Files.createDirectories(base.resolve(".export-123"));  // an exporter's work directory
    Files.createDirectories(base.resolve("latest"));
    try (var model = LoadedModel.load(base)) {
      assertEquals(base.resolve("12"), model.directory());
      assertEquals(OptionalLong.of(12), model.version());
      assertTrue(model.signatures().containsKey("square"), "loaded the centroid model");
    }
    try (var model = LoadedModel.loader(base).version(3).load()) {
      assertEquals(base.resolve("3"), model.directory());
      assertEquals(Set.of("serving_default"), model.signatures().keySet());
    }
    var missing = assertThrows(ModelLoadException.class, () -> LoadedModel.loader(base).version(4).load());
    assertEquals(base + ": has no version 4; its versions are [3, 12]", missing.getMessage());
  }

  @Test
  void listsTrainMnistsSignature() {
    assertEquals(mnistDir, mnist.directory());
    assertEquals(OptionalLong.of(1), mnist.version());
    SignatureInfo signature = mnist.signature("serving_default");
    assertEquals(List.of("xs"), List.copyOf(signature.inputs().keySet()));
    assertEquals(List.of("classes", "probabilities"), List.copyOf(signature.outputs().keySet()));
    TensorSpec xs = signature.input("xs");
    assertEquals(new TensorSpec("xs", "xs:0", DataType.DT_FLOAT, Shape.of(-1, 784)), xs);
    assertEquals("float32 [-1, 784]", xs.describe());
    assertEquals(new TensorSpec("classes", "classes:0", DataType.DT_INT64, Shape.of(-1)),
        signature.output("classes"));
    assertEquals(new TensorSpec("probabilities", "prediction:0", DataType.DT_FLOAT,
        Shape.of(-1, 10)), signature.output("probabilities"));
    assertTrue(signature.isBatchable());
    assertEquals("""
        signature                key            dtype    shape      tensor
        serving_default  input   xs             float32  [-1, 784]  xs:0
        serving_default  output  classes        int64    [-1]       classes:0
        serving_default  output  probabilities  float32  [-1, 10]   prediction:0
        """, mnist.signatureTable());
  }

  @Test
  void signaturesWithTf2StyleNamesAndSeveralOutputsOfOneOp() throws IOException {
    try (var model = LoadedModel.load(TestModels.centroidModel())) {
      SignatureInfo signature = model.signature("serving_default");
      assertEquals("serving_default_image:0", signature.input("image").tensorName());
      assertEquals("float32 [-1, 28, 28, 1]", signature.input("image").describe());
      assertEquals("StatefulPartitionedCall:0", signature.output("probs").tensorName());
      assertEquals("StatefulPartitionedCall:1", signature.output("digit").tensorName());

      float[] images = TestModels.testImages(0, 100);
      int[] labels = TestModels.testLabels(0, 100);
      Prediction prediction = model.predictor().predict(
          TensorValue.ofFloats(Shape.of(100, 28, 28, 1), images));
      long[] digits = prediction.output("digit").longs();
      float[] probs = prediction.output("probs").floats();
      int correct = 0;
      for (int i = 0; i < 100; i++) {
        correct += digits[i] == labels[i] ? 1 : 0;
        float[] row = java.util.Arrays.copyOfRange(probs, i * 10, i * 10 + 10);
        assertEquals(digits[i], Classification.argmax(row), "both outputs of the op agree");
      }
      assertTrue(correct >= 70, "nearest class mean got " + correct + " of 100");
    }
  }

  @Test
  void aSignatureOfOnesOwnFetchesSeveralSignaturesOutputsInOneRun() throws IOException {
    try (var model = LoadedModel.load(TestModels.centroidModel())) {
      SignatureInfo servingDefault = model.signature("serving_default");
      SignatureInfo pair = model.signature("pair");
      // pair's "left" is serving_default's "image" tensor: fed once, both signatures answer
      assertEquals(servingDefault.input("image").tensorName(), pair.input("left").tensorName());
      var outputs = new java.util.LinkedHashMap<String, TensorSpec>();
      outputs.put("digit", servingDefault.output("digit"));
      outputs.put("pair_probs", renamed(pair.output("probs"), "pair_probs"));
      var both = new SignatureInfo("both", "", Map.of("image", servingDefault.input("image"),
          "right", pair.input("right")), outputs);
      float[] images = TestModels.testImages(0, 20);
      var image = TensorValue.ofFloats(Shape.of(20, 28, 28, 1), images);
      var right = TensorValue.ofFloats(Shape.of(20, 784), images);
      Prediction together = model.predictor(both).predict(Map.of("image", image, "right", right));
      assertEquals(List.of("digit", "pair_probs"), List.copyOf(together.outputs().keySet()));
      assertEquals(model.predictor().predict(image).output("digit"), together.output("digit"));
      assertEquals(model.predictor("pair").predict(Map.of("left", image, "right", right))
          .output("probs"), together.output("pair_probs"));
      // a predictor is equal to another only for the same signature, not just the same key
      var otherOutputs = new java.util.LinkedHashMap<String, TensorSpec>();
      otherOutputs.put("digit", servingDefault.output("digit"));
      otherOutputs.put("pair_probs", renamed(servingDefault.output("probs"), "pair_probs"));
      var other = new SignatureInfo("both", "", both.inputs(), otherOutputs);
      assertFalse(model.predictor(both).equals(model.predictor(other)));
      assertEquals(model.predictor(both), model.predictor(both));
    }
  }

  private static TensorSpec renamed(TensorSpec spec, String key) {
    return new TensorSpec(key, spec.tensorName(), spec.dtype(), spec.shape());
  }

  @Test
  void predictionsArePlainJavaAndMatchTheGraphsOwnArgmax() {
    float[] images = TestModels.testImages(0, 500);
    int[] labels = TestModels.testLabels(0, 500);
    Prediction prediction = mnist.predictor().predict(
        Map.of("xs", TensorValue.ofFloats(Shape.of(500, 784), images)));
    float[] probabilities = prediction.output("probabilities").floats();
    long[] classes = prediction.output("classes").longs();
    int correct = 0;
    for (int i = 0; i < 500; i++) {
      var c = Classification.ofScores(java.util.Arrays.copyOfRange(probabilities, i * 10, i * 10 + 10));
      assertEquals(classes[i], c.predictedClass(), "image " + i);
      correct += c.predictedClass() == labels[i] ? 1 : 0;
    }
    assertTrue(correct >= 450, "accuracy " + correct + "/500");

    Prediction onlyProbabilities = mnist.predictor().withOutputs("probabilities")
        .predict(TensorValue.ofFloats(Shape.of(500, 784), images));
    assertEquals(Set.of("probabilities"), onlyProbabilities.outputs().keySet());
    assertArrayEquals(probabilities, onlyProbabilities.output("probabilities").floats());
  }

  @Test
  void rawTensorsInAndOut() {
    float[] image = TestModels.testImages(0, 1);
    try (var xs = TFloat32.tensorOf(Shape.of(1, 784), DataBuffers.of(image, true, false));
        Result result = mnist.predictor().run(Map.of("xs", xs))) {
      assertEquals(7, ((TInt64) result.get(0)).getLong(0), "classes come first, in key order");
      assertEquals(Shape.of(1, 10), result.get(1).shape());
    }
    try (var wrong = TFloat32.tensorOf(Shape.of(1, 783))) {
      var e = assertThrows(InvalidInputException.class, () -> mnist.predictor().run(Map.of("xs", wrong)));
      assertTrue(e.getMessage().contains("783"), e.getMessage());
    }
  }

  @Test
  void inputsAreValidatedAgainstTheSignatureBeforeTensorFlowSeesThem() {
    Predictor predictor = mnist.predictor();
    assertMessage("input \"xs\" has 783 values in dimension 1 (shape [2, 783]), expected 784: "
        + "float32 [-1, 784]",
        () -> predictor.predict(TensorValue.ofFloats(Shape.of(2, 783), new float[2 * 783])));
    assertMessage("input \"xs\" is int64, expected float32 [-1, 784]",
        () -> predictor.predict(TensorValue.ofLongs(Shape.of(1, 784), new long[784])));
    assertMessage("input \"xs\" has shape [784] (rank 1), expected rank 2: float32 [-1, 784]",
        () -> predictor.predict(TensorValue.ofFloats(Shape.of(784), new float[784])));
    assertMessage("missing input \"xs\": signature serving_default takes xs float32 [-1, 784]",
        () -> predictor.predict(Map.of()));
    assertMessage("unknown input \"x\": signature serving_default takes xs float32 [-1, 784]",
        () -> predictor.predict(Map.of("x", TensorValue.ofFloats(Shape.of(1, 784), new float[784]))));
    var e = assertThrows(SignatureNotFoundException.class, () -> mnist.predictor("classify"));
    assertEquals("Serving signature key \"classify\" not found; the model's signatures are "
        + "serving_default", e.getMessage());
    assertThrows(InvalidInputException.class, () -> predictor.withOutputs("logits"));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    var e = assertThrows(InvalidInputException.class, call);
    assertEquals(expected, e.getMessage());
  }

  @Test
  void concurrentCallersGetTheirOwnAnswers() throws Exception {
    int threads = 8;
    int each = 50;
    float[] images = TestModels.testImages(0, threads * each);
    Predictor predictor = mnist.predictor();
    long[] expected = predictor.predict(TensorValue.ofFloats(Shape.of(threads * each, 784), images))
        .output("classes").longs();
    List<Integer> wrong = Concurrently.onThreads(threads, thread -> {
      int mismatches = 0;
      for (int k = 0; k < each; k++) {
        int i = thread * each + k;
        float[] one = java.util.Arrays.copyOfRange(images, i * 784, i * 784 + 784);
        long got = predictor.predict(TensorValue.ofFloats(Shape.of(1, 784), one))
            .output("classes").longs()[0];
        mismatches += got == expected[i] ? 0 : 1;
      }
      return mismatches;
    });
    assertEquals(java.util.Collections.nCopies(threads, 0), wrong);
  }

  @Test
  void closeWaitsForRunningPredictionsAndHappensOnce() throws Exception {
    var model = LoadedModel.load(mnistDir);
    Predictor predictor = model.predictor();
    var input = TensorValue.ofFloats(Shape.of(200, 784), TestModels.testImages(0, 200));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      var futures = new ArrayList<Future<String>>();
      for (int t = 0; t < 4; t++) {
        futures.add(pool.submit(() -> {
          int done = 0;
          try {
            while (true) {
              predictor.predict(input);
              done++;
            }
          } catch (IllegalStateException closed) {
            return closed.getMessage();
          }
        }));
      }
      Thread.sleep(300);
      model.close();
      model.close();  // a second close does nothing
      assertTrue(model.isClosed());
      for (Future<String> f : futures) {
        assertEquals("model " + mnistDir + " is closed", f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void zeroPaddedVersionDirectoriesAreTheirNumbers(@TempDir Path base) throws IOException {
    PathUtils.copyDirectory(TestModels.tf1ModelVersion(), base.resolve("00000123"));
    PathUtils.copyDirectory(TestModels.identityModel(), base.resolve("0000045"));
    try (var model = LoadedModel.load(base)) {
      assertEquals(java.util.OptionalLong.of(123), model.version());
      assertEquals(base.resolve("00000123"), model.directory());
    }
    try (var model = LoadedModel.loader(base).version(45).load()) {
      assertEquals(base.resolve("0000045"), model.directory());
    }
    PathUtils.copyDirectory(TestModels.identityModel(), base.resolve("45"));
    var e = assertThrows(ModelLoadException.class, () -> LoadedModel.load(base));
    assertEquals(base + ": has two directories for version 45: 0000045 and 45", e.getMessage());
  }

  @Test
  void missingDirectory(@TempDir Path dir) {
    Path missing = dir.resolve("nope");
    var e = assertThrows(ModelLoadException.class, () -> LoadedModel.load(missing));
    assertEquals(missing + ": no such directory", e.getMessage());
  }

  @Test
  void directoryThatIsNotASavedModel(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("README"), "not a model");
    var e = assertThrows(ModelLoadException.class, () -> LoadedModel.load(dir));
    assertEquals(dir + ": not a SavedModel: it holds no saved_model.pb and no numbered version "
        + "directories", e.getMessage());
  }

  @Test
  void savedModelPbThatIsNoProtocolBuffer(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("saved_model.pb"), "this is text, not a protocol buffer");
    var e = assertThrows(ModelLoadException.class, () -> LoadedModel.load(dir));
    assertTrue(e.getMessage().startsWith(dir.resolve("saved_model.pb")
        + ": not a SavedModel protocol buffer"), e.getMessage());
  }

  @Test
  void tagsThatNoMetaGraphHas() {
    var e = assertThrows(ModelLoadException.class,
        () -> LoadedModel.loader(mnistDir).tags("train").load());
    assertEquals(mnistDir + ": has no MetaGraph tagged [train]; its tag sets are [[serve]]",
        e.getMessage());
  }

  @Test
  void truncatedVariables(@TempDir Path dir) throws IOException {
    Path copy = copyOfMnist(dir);
    Path data = variablesData(copy);
    try (var file = new RandomAccessFile(data.toFile(), "rw")) {
      file.setLength(file.length() / 2);
    }
    var e = assertThrows(ModelLoadException.class, () -> LoadedModel.load(copy));
    assertOneLine(e, copy + ": cannot load the SavedModel: ");
  }

  @Test
  void overwrittenVariables(@TempDir Path dir) throws IOException {
    Path copy = copyOfMnist(dir);
    Path data = variablesData(copy);
    try (var file = new RandomAccessFile(data.toFile(), "rw")) {
      file.seek(file.length() / 2);
      file.write(new byte[4096]);  // zeros over weights: only the checksum can tell
    }
    var e = assertThrows(ModelLoadException.class, () -> LoadedModel.load(copy));
    assertOneLine(e, copy + ": cannot load the SavedModel: ");
  }

  @Test
  void missingVariablesIndex(@TempDir Path dir) throws IOException {
    Path copy = copyOfMnist(dir);
    Files.delete(copy.resolve("variables").resolve("variables.index"));
    var e = assertThrows(ModelLoadException.class, () -> LoadedModel.load(copy));
    assertEquals(copy + ": the graph has variables but variables/variables.index is missing",
        e.getMessage());
  }

  @Test
  void aVariableMissingFromTheCheckpointIsNamed(@TempDir Path dir) throws IOException {
    Path copy = copyOfMnist(dir);
    // A checkpoint of another graph, whose one variable is not the model's
    try (var graph = new Graph()) {
      var tf = Ops.create(graph);
      tf.withName("unrelated").variable(tf.constant(new float[] {1f, 2f}));
      try (var session = new Session(graph)) {
        session.initialize();
        PathUtils.deleteDirectory(copy.resolve("variables"));
        session.save(copy.resolve("variables").resolve("variables").toString());
      }
    }
    var e = assertThrows(ModelLoadException.class, () -> LoadedModel.load(copy));
    assertOneLine(e, copy + ": cannot load the SavedModel: ");
    assertTrue(e.getMessage().contains("not found in checkpoint"), e.getMessage());
  }

  @Test
  void anOpThisTensorFlowLacksIsNamedAtLoad() {
    Path model = UnregisteredOpModels.inGraph();
    var e = assertThrows(UnregisteredOpException.class, () -> LoadedModel.load(model));
    assertEquals(UnregisteredOpModels.OP, e.op());
    assertOneLine(e, model + ": uses the op " + UnregisteredOpModels.OP + ", which this "
        + "TensorFlow does not have: load the custom-op library that defines it");
  }

  @Test
  void opLibrariesThatCannotBeLoadedSaySo(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("missing.so");
    assertThrows(java.nio.file.NoSuchFileException.class, () -> LoadedModel.loadLibrary(missing));
    Path text = Files.writeString(dir.resolve("text.so"), "not a shared library");
    var e = assertThrows(IOException.class, () -> LoadedModel.loadLibrary(text));
    assertTrue(e.getMessage().startsWith(text + ": cannot load it as an op library: "),
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  private static void assertOneLine(ModelLoadException e, String prefix) {
    System.out.println(e.getMessage());
    assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  private Path copyOfMnist(Path dir) throws IOException {
    Path copy = dir.resolve("1");
    PathUtils.copyDirectory(mnistDir, copy);
    return copy;
  }

  private static Path variablesData(Path model) throws IOException {
    try (Stream<Path> files = Files.list(model.resolve("variables"))) {
      return files.filter(p -> p.getFileName().toString().startsWith("variables.data"))
          .findFirst().orElseThrow();
    }
  }
}
