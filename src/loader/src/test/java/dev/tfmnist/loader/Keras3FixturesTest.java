package dev.tfmnist.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tfmnist.testing.TestData;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Models made the way Python users make them today (tools/python/make_keras3_fixtures.py), loaded
 * in Java: Keras 3's export(), a Keras 3 model inside a tf.Module with a PNG signature (whose
 * variables TensorFlow's C++ loader alone leaves empty), a uint8 signature, two signatures. Every
 * signature's outputs on the first 100 test images and the test accuracy are Python's: exactly on
 * the CPU model the fixture was made on, within the manifest's cross-CPU tolerance elsewhere.
 */
class Keras3FixturesTest {
  private static final Path SAVEDMODEL = TestData.projectRoot().resolve("savedmodel");

  @ParameterizedTest
  @ValueSource(strings = {"keras-export", "keras-module", "keras-uint8", "keras-two-signatures"})
  void everySignatureGivesPythonsOutputs(String fixture) throws IOException {
    JsonObject manifest = json(fixture, "manifest.json");
    boolean sameCpu = TestData.cpuModel().equals(manifest.get("cpu").getAsString());
    JsonObject crossCpu = manifest.getAsJsonObject("cross_cpu");
    double atol = sameCpu ? 1e-6 : crossCpu.get("probability_atol").getAsDouble();
    int idDelta = sameCpu ? 0 : crossCpu.get("test_correct_delta").getAsInt();
    float[] images = TestModels.testImages(0, 100);
    var signatures = json(fixture, "first100_outputs.json").getAsJsonObject("signatures");
    try (var model = LoadedModel.load(SAVEDMODEL.resolve(fixture))) {
      for (Map.Entry<String, JsonElement> signature : signatures.entrySet()) {
        var outputs = signature.getValue().getAsJsonObject().getAsJsonObject("outputs");
        for (Map.Entry<String, JsonElement> output : outputs.entrySet()) {
          var answers = ImageClassifier.builder(model).signature(signature.getKey())
              .output(output.getKey()).build().classify(images, 100);
          JsonArray python = output.getValue().getAsJsonArray();
          String what = fixture + " " + signature.getKey() + "/" + output.getKey();
          if (python.get(0).isJsonArray()) {
            double worst = 0;
            for (int i = 0; i < 100; i++) {
              JsonArray row = python.get(i).getAsJsonArray();
              for (int c = 0; c < 10; c++) {
                worst = Math.max(worst,
                    Math.abs(row.get(c).getAsFloat() - answers.get(i).probability(c)));
              }
            }
            assertTrue(worst <= atol, what + ": largest difference from Python " + worst
                + " > " + atol);
          } else {
            int different = 0;
            for (int i = 0; i < 100; i++) {
              different += python.get(i).getAsInt() != answers.get(i).predictedClass() ? 1 : 0;
            }
            assertTrue(different <= idDelta, what + ": " + different + " classes differ");
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras-export", "keras-module", "keras-uint8", "keras-two-signatures"})
  void testAccuracyIsPythons(String fixture) throws IOException {
    JsonObject manifest = json(fixture, "manifest.json");
    boolean sameCpu = TestData.cpuModel().equals(manifest.get("cpu").getAsString());
    int delta = sameCpu ? 0 : manifest.getAsJsonObject("cross_cpu").get("test_correct_delta")
        .getAsInt();
    int correct;
    try (var model = LoadedModel.load(SAVEDMODEL.resolve(fixture))) {
      correct = TestSetScore.correct(model);
    }
    int python = manifest.get("test_correct").getAsInt();
    assertTrue(Math.abs(correct - python) <= delta, fixture + ": Java classifies " + correct
        + " test images right, Python " + python + " (on " + manifest.get("cpu").getAsString()
        + ")");
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras-export", "keras-module", "keras-uint8", "keras-two-signatures"})
  void fixtureFilesAreTheOnesTheManifestRecords(String fixture) throws IOException {
    JsonObject files = json(fixture, "manifest.json").getAsJsonObject("files");
    assertTrue(files.size() >= 3, fixture + " manifest lists no files");
    for (Map.Entry<String, JsonElement> entry : files.entrySet()) {
      Path file = SAVEDMODEL.resolve(fixture).resolve("1").resolve(entry.getKey());
      assertEquals(entry.getValue().getAsString(), dev.tfmnist.data.Sha256.of(file), file + " changed");
    }
  }

  private static JsonObject json(String fixture, String name) throws IOException {
    return JsonParser.parseString(Files.readString(SAVEDMODEL.resolve(fixture).resolve(name)))
        .getAsJsonObject();
  }
}
