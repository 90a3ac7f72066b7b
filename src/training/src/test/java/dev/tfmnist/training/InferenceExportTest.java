package dev.tfmnist.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.model.GraphNames;
import dev.tfmnist.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferenceExportTest {
  private static final int IMAGES = 1000;

  @TempDir static Path base;
  private MnistTrainer trainer;
  private Path exported;

  @BeforeAll
  void trainAndExport() throws IOException {
    trainer = new MnistTrainer(TrainingConfig.ORIGINAL.withSteps(30).withEvalEvery(1000));
    trainer.train(TestData.dataset(), TrainingListener.NONE);
    exported = InferenceExport.export(trainer, base);
  }

  @AfterAll
  void close() {
    trainer.close();
  }

  @Test
  void exportIsTheFirstVersionAndNextExportsNeverOverwriteIt() throws IOException {
    assertEquals(base.resolve("1"), exported);
    byte[] first = Files.readAllBytes(exported.resolve("saved_model.pb"));
    assertEquals(base.resolve("2"), InferenceExport.export(trainer, base));
    assertArrayEquals(first, Files.readAllBytes(exported.resolve("saved_model.pb")));
    try (Stream<Path> children = Files.list(base)) {
      assertEquals(java.util.Set.of("1", "2"),
          children.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()),
          "temporary export directories left behind");
    }
  }

  @Test
  void reloadedModelGivesBitIdenticalProbabilities() {
    var test = TestData.dataset().test();
    var images = new float[IMAGES * 784];
    var labels = new float[IMAGES * 10];
    var indices = java.util.stream.IntStream.range(0, IMAGES).toArray();
    test.fillBatch(indices, images, labels);
    float[] expected = trainer.predict(images, IMAGES);

    try (var bundle = SavedModelBundle.load(exported.toString(), "serve");
        var xs = TFloat32.tensorOf(Shape.of(IMAGES, 784), DataBuffers.of(images, true, false));
        var result = bundle.call(Map.of(GraphNames.SIGNATURE_INPUT, xs))) {
      var probabilities = (TFloat32) result.get(GraphNames.SIGNATURE_PROBABILITIES).orElseThrow();
      var classes = (TInt64) result.get(GraphNames.SIGNATURE_CLASSES).orElseThrow();
      assertEquals(Shape.of(IMAGES, 10), probabilities.shape());
      assertEquals(Shape.of(IMAGES), classes.shape());
      var actual = new float[IMAGES * 10];
      probabilities.copyTo(DataBuffers.of(actual, false, false));
      for (int i = 0; i < actual.length; i++) {
        assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
            "probability " + i + " differs: " + expected[i] + " vs " + actual[i]);
      }
      for (int i = 0; i < IMAGES; i++) {
        assertEquals(argmax(expected, i), classes.getLong(i), "class of image " + i);
      }
    }
  }

  @Test
  void exportHoldsOnlyTheModelsVariablesAndServingSignature() throws IOException {
    try (var bundle = SavedModelBundle.load(exported.toString(), "serve")) {
      var variables = new ArrayList<String>();
      var operations = new ArrayList<String>();
      bundle.graph().operations().forEachRemaining(op -> {
        operations.add(op.name());
        if (op.type().equals("VariableV2")) {
          variables.add(op.name());
        }
      });
      assertEquals(GraphNames.VARIABLES.stream().sorted().toList(), variables.stream().sorted().toList());
      assertTrue(operations.stream().noneMatch(n -> n.contains("Adam") || n.contains("beta1_power")
          || n.equals(GraphNames.CROSS_ENTROPY) || n.equals(GraphNames.TRAIN_STEP)),
          "optimizer or loss ops in the export");

      var signature = bundle.metaGraphDef().getSignatureDefOrThrow("serving_default");
      assertEquals("tensorflow/serving/predict", signature.getMethodName());
      assertEquals(java.util.Set.of("xs"), signature.getInputsMap().keySet());
      assertEquals(java.util.Set.of("probabilities", "classes"), signature.getOutputsMap().keySet());
      assertEquals(org.tensorflow.proto.DataType.DT_FLOAT, signature.getInputsOrThrow("xs").getDtype());
      assertEquals(org.tensorflow.proto.DataType.DT_INT64, signature.getOutputsOrThrow("classes").getDtype());
    }
    long bytes = PathUtils.sizeOfDirectory(exported);
    // 3,274,634 float weights are 13.1 MB; Adam's slots would triple it.
    assertTrue(bytes > 13_000_000 && bytes < 14_000_000, "export size " + bytes);
  }

  private static int argmax(float[] probabilities, int row) {
    int best = 0;
    for (int c = 1; c < 10; c++) {
      if (probabilities[row * 10 + c] > probabilities[row * 10 + best]) {
        best = c;
      }
    }
    return best;
  }
}
