package dev.tfmnist.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
    JsonObject manifest = json(fixture, "manifest.json");
    int correct;
    try (var model = LoadedModel.load(SAVEDMODEL.resolve(fixture))) {
      correct = TestSetScore.correct(model);
    }
    double accuracy = correct / 10_000.0;
    assertTrue(accuracy >= 0.96, fixture + " test accuracy " + accuracy);
    // Python counted on one CPU model; another may flip a near-tied image (see the manifest).
    int python = manifest.get("test_correct").getAsInt();
    int delta = manifest.getAsJsonObject("cross_cpu").get("test_correct_delta").getAsInt();
    assertTrue(Math.abs(correct - python) <= delta, fixture + ": Java classifies " + correct
        + " test images right, Python " + python + " (on " + manifest.get("cpu").getAsString()
        + "); allowed difference " + delta);
  }

  @ParameterizedTest
  @ValueSource(strings = {"python-tf1", "python-keras"})
  void probabilitiesOfTheFirstHundredImagesMatchPythons(String fixture) throws IOException {
    JsonObject expected = json(fixture, "first100_probabilities.json");
    var inputShape = expected.getAsJsonArray("input_shape");
    var shape = new long[inputShape.size()];
    shape[0] = 100;
    for (int d = 1; d < shape.length; d++) {
      shape[d] = inputShape.get(d).getAsLong();
    }
    var images = new float[100 * 784];
    TestData.dataset().test().copyImages(0, 100, images);
    float[] actual;
    try (var model = LoadedModel.load(SAVEDMODEL.resolve(fixture))) {
      var prediction = model.predictor(expected.get("signature").getAsString()).predict(
          Map.of(expected.get("input").getAsString(), TensorValue.ofFloats(Shape.of(shape), images)));
      actual = prediction.output(expected.get("output").getAsString()).floats();
    }
    assertEquals(1000, actual.length);
    double worst = 0;
    for (int i = 0; i < 100; i++) {
      for (int c = 0; c < 10; c++) {
        float python = expected.getAsJsonArray("probabilities").get(i).getAsJsonArray().get(c)
            .getAsFloat();
        worst = Math.max(worst, Math.abs(python - actual[i * 10 + c]));
      }
    }
    double atol = json(fixture, "manifest.json").getAsJsonObject("cross_cpu")
        .get("probability_atol").getAsDouble();
    assertTrue(worst <= atol, fixture + ": largest difference from Python " + worst + " > " + atol);
  }

  @ParameterizedTest
  @ValueSource(strings = {"python-tf1", "python-keras"})
  void fixtureFilesAreTheOnesThePythonManifestRecords(String fixture) throws IOException {
    JsonObject files = json(fixture, "manifest.json").getAsJsonObject("files");
    assertTrue(files.size() >= 3, fixture + " manifest lists no files");
    for (Map.Entry<String, JsonElement> entry : files.entrySet()) {
      Path file = SAVEDMODEL.resolve(fixture).resolve("1").resolve(entry.getKey());
      assertTrue(Files.isRegularFile(file), file + " missing");
      assertEquals(entry.getValue().getAsString(), dev.tfmnist.data.Sha256.of(file), file + " changed");
    }
  }

  private static JsonObject json(String fixture, String name) throws IOException {
    return JsonParser.parseString(Files.readString(SAVEDMODEL.resolve(fixture).resolve(name)))
        .getAsJsonObject();
  }
}
