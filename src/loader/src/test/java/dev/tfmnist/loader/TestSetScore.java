package dev.tfmnist.loader;

import dev.tfmnist.testing.TestData;

/** How many of the 10,000 MNIST test images a model classifies right, in chunks of 1,000. */
final class TestSetScore {
  private TestSetScore() {}

  static int correct(LoadedModel model) {
    var test = TestData.dataset().test();
    var classifier = ImageClassifier.builder(model).build();
    var images = new float[1000 * 784];
    int correct = 0;
    for (int from = 0; from < test.count(); from += 1000) {
      test.copyImages(from, 1000, images);
      var answers = classifier.classify(images, 1000);
      for (int i = 0; i < 1000; i++) {
        correct += answers.get(i).predictedClass() == test.label(from + i) ? 1 : 0;
      }
    }
    return correct;
  }
}
