package dev.tfmnist.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmnist.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.ndarray.Shape;

/**
 * Python-trained SavedModels load in Java unchanged: the TF1 graph export (ref variables, a
 * SavedModelBuilder signature) and the TF2 Keras export (resource variables, a function-based
 * serving_default). Both fixtures were made by tools/python; their manifests record what Python
 * measured.
 */
class PythonFixturesTest {
  private static final Path SAVEDMODEL = TestData.projectRoot().resolve("savedmodel");

  @ParameterizedTest
  @ValueSource(strings = {"python-tf1", "python-keras"})
  void testAccuracyIsWhatPythonMeasured(String fixture) throws IOException {
    JsonNode manifest = json(fixture, "manifest.json");
    var test = TestData.dataset().test();
    int correct = 0;
    try (var model = LoadedModel.load(SAVEDMODEL.resolve(fixture))) {
      var classifier = ImageClassifier.builder(model).build();
      var images = new float[1000 * 784];
      for (int from = 0; from < test.count(); from += 1000) {
        test.copyImages(from, 1000, images);
        var classifications = classifier.classify(images, 1000);
        for (int i = 0; i < 1000; i++) {
          correct += classifications.get(i).predictedClass() == test.label(from + i) ? 1 : 0;
        }
      }
    }
    double accuracy = correct / (double) test.count();
    assertTrue(accuracy >= 0.96, fixture + " test accuracy " + accuracy);
    // Python counted on one CPU model; another may flip a near-tied image (see the manifest).
    int python = manifest.get("test_correct").asInt();
    int delta = manifest.get("cross_cpu").get("test_correct_delta").asInt();
    assertTrue(Math.abs(correct - python) <= delta, fixture + ": Java classifies " + correct
        + " test images right, Python " + python + " (on " + manifest.get("cpu").asText()
        + "); allowed difference " + delta);
  }

  @ParameterizedTest
  @ValueSource(strings = {"python-tf1", "python-keras"})
  void probabilitiesOfTheFirstHundredImagesMatchPythons(String fixture) throws IOException {
    JsonNode expected = json(fixture, "first100_probabilities.json");
    var shape = new long[expected.get("input_shape").size()];
    shape[0] = 100;
    for (int d = 1; d < shape.length; d++) {
      shape[d] = expected.get("input_shape").get(d).asLong();
    }
    var images = new float[100 * 784];
    TestData.dataset().test().copyImages(0, 100, images);
    float[] actual;
    try (var model = LoadedModel.load(SAVEDMODEL.resolve(fixture))) {
      var prediction = model.predictor(expected.get("signature").asText()).predict(
          Map.of(expected.get("input").asText(), TensorValue.ofFloats(Shape.of(shape), images)));
      actual = prediction.output(expected.get("output").asText()).floats();
    }
    assertEquals(1000, actual.length);
    double worst = 0;
    for (int i = 0; i < 100; i++) {
      for (int c = 0; c < 10; c++) {
        float python = expected.get("probabilities").get(i).get(c).floatValue();
        worst = Math.max(worst, Math.abs(python - actual[i * 10 + c]));
      }
    }
    double atol = json(fixture, "manifest.json").get("cross_cpu").get("probability_atol").asDouble();
    assertTrue(worst <= atol, fixture + ": largest difference from Python " + worst + " > " + atol);
  }

  @ParameterizedTest
  @ValueSource(strings = {"python-tf1", "python-keras"})
  void fixtureFilesAreTheOnesThePythonManifestRecords(String fixture) throws IOException {
    JsonNode files = json(fixture, "manifest.json").get("files");
    assertTrue(files.size() >= 3, fixture + " manifest lists no files");
    for (var entry : (Iterable<Map.Entry<String, JsonNode>>) files::fields) {
      Path file = SAVEDMODEL.resolve(fixture).resolve("1").resolve(entry.getKey());
      assertTrue(Files.isRegularFile(file), file + " missing");
      assertEquals(entry.getValue().asText(), dev.tfmnist.data.Sha256.of(file), file + " changed");
    }
  }

  private static JsonNode json(String fixture, String name) throws IOException {
    return new ObjectMapper().readTree(SAVEDMODEL.resolve(fixture).resolve(name).toFile());
  }
}
