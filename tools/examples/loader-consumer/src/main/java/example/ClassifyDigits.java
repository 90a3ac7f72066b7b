package example;

import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.image.ImageFiles;
import dev.tfmnist.loader.image.MnistPreprocessor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints {@code digit N} for each image file (PNG, JPEG, PGM) with an MNIST SavedModel:
 * {@code ClassifyDigits --model DIR IMAGE...}. Errors are one line on stderr and exit code 1
 * (2 for a bad command line).
 */
public final class ClassifyDigits {
  public static void main(String[] args) {
    Path model = null;
    List<Path> images = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--model") && i + 1 < args.length) {
        model = Path.of(args[++i]);
      } else if (args[i].startsWith("-")) {
        exit(2, "unknown option " + args[i] + "; usage: ClassifyDigits --model DIR IMAGE...");
      } else {
        images.add(Path.of(args[i]));
      }
    }
    if (model == null || images.isEmpty()) {
      exit(2, "usage: ClassifyDigits --model DIR IMAGE...");
    }
    try (var loaded = LoadedModel.load(model)) {        // loaded once, closed once
      var classifier = ImageClassifier.builder(loaded)  // finds the image input and the scores
          .imageSize(MnistPreprocessor.SIZE, MnistPreprocessor.SIZE)
          .classes(10)
          .build();
      for (Path image : images) {
        float[] pixels = MnistPreprocessor.toMnist(ImageFiles.read(image));
        System.out.println(image + ": digit " + classifier.classify(pixels).predictedClass());
      }
    } catch (IOException | RuntimeException e) {
      exit(1, e.getMessage());
    }
  }

  private static void exit(int code, String message) {
    System.err.println("ClassifyDigits: " + message);
    System.exit(code);
  }
}
