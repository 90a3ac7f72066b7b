package dev.tfmnist.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tensorflow.ndarray.Shape;

/** Finding the image input and the class scores in signatures that name them differently. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageClassifierTest {
  private LoadedModel mnist;
  private LoadedModel centroid;

  @BeforeAll
  void load() throws IOException {
    mnist = LoadedModel.load(TestModels.tf1Model());
    centroid = LoadedModel.load(TestModels.centroidModel());
  }

  @AfterAll
  void close() {
    mnist.close();
    centroid.close();
  }

  @Test
  void findsTrainMnistsFlatInputAndProbabilities() {
    var classifier = ImageClassifier.builder(mnist).build();
    assertEquals("xs", classifier.input().key());
    assertEquals("probabilities", classifier.output().key());
    float[] images = TestModels.testImages(0, 3);
    List<Classification> results = classifier.classify(images, 3);
    assertEquals(List.of(7, 2, 1), results.stream().map(Classification::predictedClass).toList());

    // the probabilities are the model's own, bit for bit
    float[] expected = mnist.predictor().predict(TensorValue.ofFloats(Shape.of(3, 784), images))
        .output("probabilities").floats();
    assertArrayEquals(java.util.Arrays.copyOfRange(expected, 0, 10), results.get(0).probabilities());
    var single = classifier.classify(java.util.Arrays.copyOfRange(images, 784, 1568));
    assertEquals(2, single.predictedClass());
  }

  @Test
  void findsAnImageInputShapedNhwcAndTheOnlyTenWideOutput() {
    var classifier = ImageClassifier.builder(centroid).build();
    assertEquals("image", classifier.input().key());
    assertEquals("probs", classifier.output().key(), "digit is int64 [-1], not scores");
    assertEquals(7, classifier.classify(TestModels.testImages(0, 1)).predictedClass());
  }

  @Test
  void twoTenWideOutputsAreAmbiguousUntilOneIsNamed() {
    var e = assertThrows(AmbiguousSignatureException.class,
        () -> ImageClassifier.builder(centroid).signature("square").build());
    assertEquals(AmbiguousSignatureException.Role.OUTPUT, e.role());
    assertEquals(List.of("logits", "probs"), e.choices());
    assertEquals("signature square has 2 outputs that fit [-1, 10] class scores (or [-1] class ids): \"logits\""
        + " float32 [-1, 10], \"probs\" float32 [-1, 10]; name one", e.getMessage());

    float[] image = TestModels.testImages(0, 1);
    var fromProbs = ImageClassifier.builder(centroid).signature("square").output("probs").build()
        .classify(image);
    var fromLogits = ImageClassifier.builder(centroid).signature("square").output("logits").build()
        .classify(image);
    assertEquals(fromProbs.predictedClass(), fromLogits.predictedClass());
    float sum = 0;
    for (int c = 0; c < 10; c++) {
      sum += fromLogits.probability(c);
      assertEquals(fromProbs.probability(c), fromLogits.probability(c), 1e-5,
          "softmax of the logits is the model's own softmax");
    }
    assertEquals(1f, sum, 1e-5);
  }

  @Test
  void twoImageInputsAreAmbiguousAndAnUnfedInputIsRefused() {
    var e = assertThrows(AmbiguousSignatureException.class,
        () -> ImageClassifier.builder(centroid).signature("pair").build());
    assertEquals(AmbiguousSignatureException.Role.INPUT, e.role());
    assertEquals(List.of("left", "right"), e.choices());

    var unfed = assertThrows(InvalidInputException.class,
        () -> ImageClassifier.builder(centroid).signature("pair").input("left").build());
    assertEquals("signature pair takes [right] besides the image \"left\"; an image classifier "
        + "feeds only the image", unfed.getMessage());
  }

  @Test
  void namedInputsAndOutputsMustExistAndFit() {
    var unknown = assertThrows(AmbiguousSignatureException.class,
        () -> ImageClassifier.builder(mnist).input("image").build());
    assertEquals("signature serving_default has no input \"image\"; its inputs are \"xs\" "
        + "float32 [-1, 784]", unknown.getMessage());
    var unfit = assertThrows(InvalidInputException.class,
        () -> ImageClassifier.builder(mnist).imageSize(32, 32).input("xs").build());
    assertEquals("input \"xs\" of signature serving_default is float32 [-1, 784], expected "
        + "[-1, 1024], [-1, 32, 32], [-1, 32, 32, 1] or [-1, 1, 32, 32] image (or encoded images, "
        + "string [-1])", unfit.getMessage());
    var none = assertThrows(AmbiguousSignatureException.class,
        () -> ImageClassifier.builder(mnist).imageSize(32, 32).build());
    assertTrue(none.getMessage().startsWith("signature serving_default has no input that fits "
        + "[-1, 1024], [-1, 32, 32], [-1, 32, 32, 1] or [-1, 1, 32, 32] image"), none.getMessage());
    assertThrows(SignatureNotFoundException.class,
        () -> ImageClassifier.builder(mnist).signature("predict").build());
  }

  @Test
  void classIdsAnswerWhenNamedOrWhenTheyAreAllThereIs() {
    float[] images = TestModels.testImages(0, 20);
    var byScores = ImageClassifier.builder(mnist).build().classify(images, 20);
    var byIds = ImageClassifier.builder(mnist).output("classes").build().classify(images, 20);
    for (int i = 0; i < 20; i++) {
      assertEquals(byScores.get(i).predictedClass(), byIds.get(i).predictedClass());
      assertFalse(byIds.get(i).hasScores());
    }
    assertThrows(IllegalStateException.class, () -> byIds.get(0).topK(3));
  }

  @Test
  void everyImageInputFormGetsTheSameAnswers() throws IOException {
    float[] images = TestModels.testImages(0, 50);
    var reference = ImageClassifier.builder(centroid).build().classify(
        images.clone(), 50);
    try (var forms = LoadedModel.load(TestModels.inputFormsModel())) {
      for (String signature : List.of("uint8", "int64", "half", "channels_first", "png", "ids")) {
        var classifier = ImageClassifier.builder(forms).signature(signature).build();
        var answers = classifier.classify(images, 50);
        for (int i = 0; i < 50; i++) {
          assertEquals(reference.get(i).predictedClass(), answers.get(i).predictedClass(),
              signature + ": image " + i);
          if (answers.get(i).hasScores() && !signature.equals("half")) {
            assertArrayEquals(reference.get(i).probabilities(), answers.get(i).probabilities(),
                1e-6f, signature + ": image " + i);
          }
        }
        assertEquals(signature.equals("png"), classifier.takesEncodedImages(), signature);
      }
    }
  }

  @Test
  void aCallerRunningThePredictorItselfGetsClassifysAnswers() throws IOException {
    float[] images = TestModels.testImages(0, 4);
    try (var forms = LoadedModel.load(TestModels.inputFormsModel())) {
      for (var model : List.of(mnist, forms)) {
        for (String signature : model == mnist ? List.of("serving_default")
            : List.of("uint8", "png", "ids")) {
          var classifier = ImageClassifier.builder(model).signature(signature).build();
          int count = classifier.input().rank() == 0 ? 1 : 4;  // png: one image a run
          var inputs = classifier.inputs(java.util.Arrays.copyOf(images, count * 784), count);
          assertEquals(java.util.Set.of(classifier.input().key()), inputs.keySet());
          var answers = classifier.classifications(classifier.predictor().predict(inputs), count);
          var expected = classifier.classify(java.util.Arrays.copyOf(images, count * 784), count);
          for (int i = 0; i < count; i++) {
            assertEquals(expected.get(i).predictedClass(), answers.get(i).predictedClass(),
                signature + ": image " + i);
          }
        }
      }
      var png = ImageClassifier.builder(forms).signature("png").build();
      assertThrows(IllegalArgumentException.class, () -> png.inputs(images, 4),
          "a scalar string input takes one image a run");
      assertThrows(IllegalStateException.class,
          () -> ImageClassifier.builder(mnist).build().encodedInputs(new byte[1]));
      var flat = ImageClassifier.builder(mnist).build();
      var oneRow = flat.predictor().predict(flat.inputs(java.util.Arrays.copyOf(images, 784), 1));
      assertThrows(IllegalArgumentException.class, () -> flat.classifications(oneRow, 2),
          "a run on one image answers one");
    }
  }

  @Test
  void topKIsOrderedByProbability() {
    var c = Classification.ofScores(new float[] {0.1f, 0.5f, 0.05f, 0.35f});
    assertEquals(List.of(new ClassScore(1, 0.5f), new ClassScore(3, 0.35f),
        new ClassScore(0, 0.1f)), c.topK(3));
    assertEquals(1, c.predictedClass());
    var logits = Classification.ofScores(new float[] {2f, -1f, 2f});
    assertEquals(0, logits.predictedClass(), "first of equal scores, like TensorFlow's ArgMax");
    assertEquals(logits.probability(0), logits.probability(2));
  }
}
