package dev.tfmnist.loader;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The class probabilities of one example, its most probable class and the top k.
 *
 * <p>Models differ in what their score output holds: softmax probabilities (TrainMnist, Keras
 * with a softmax layer) or logits. Scores that already form a distribution (all in [0, 1],
 * summing to 1 within 1e-3) are kept bit for bit; anything else goes through a softmax. Either
 * way the predicted class is the argmax of the raw scores, the first one on a tie as in
 * TensorFlow's ArgMax.
 *
 * <p>Immutable: accessors return copies, so a classification can be shared between threads.
 */
public final class Classification {
  private final float[] probabilities;
  private final int predictedClass;
  private final int classes;

  private Classification(float[] probabilities, int predictedClass, int classes) {
    this.probabilities = probabilities;
    this.predictedClass = predictedClass;
    this.classes = classes;
  }

  /**
   * From the raw scores of one example: probabilities or logits.
   *
   * @param scores one score per class; not modified
   * @return the classification, with probabilities
   * @throws IllegalArgumentException if {@code scores} is empty
   */
  public static Classification ofScores(float[] scores) {
    if (scores.length == 0) {
      throw new IllegalArgumentException("no class scores");
    }
    return new Classification(isDistribution(scores) ? scores.clone() : softmax(scores),
        argmax(scores), scores.length);
  }

  /**
   * A model that answers with the class alone: no probabilities ({@link #hasScores()} false).
   *
   * @param predictedClass the class the model gave
   * @param classes how many classes there are
   * @return the classification, without probabilities
   * @throws IllegalArgumentException if {@code predictedClass} is not in {@code 0..classes - 1}
   */
  public static Classification ofClass(int predictedClass, int classes) {
    if (predictedClass < 0 || predictedClass >= classes) {
      throw new IllegalArgumentException("class " + predictedClass + " is not in 0.." + (classes - 1));
    }
    return new Classification(null, predictedClass, classes);
  }

  /**
   * Whether the model gave scores for every class, or only the predicted class.
   *
   * @return true when {@link #probabilities()}, {@link #probability(int)} and {@link #topK(int)}
   *     can be called
   */
  public boolean hasScores() {
    return probabilities != null;
  }

  /**
   * The most probable class: the argmax of the raw scores, or the class the model gave.
   *
   * @return the class index, from 0
   */
  public int predictedClass() {
    return predictedClass;
  }

  /**
   * How many classes there are.
   *
   * @return the class count
   */
  public int classes() {
    return classes;
  }

  /**
   * The probability of one class.
   *
   * @param classIndex the class, from 0
   * @return its probability, in [0, 1]
   * @throws IllegalStateException if the model gave the class only ({@link #hasScores()} false)
   * @throws ArrayIndexOutOfBoundsException if {@code classIndex} is not a class
   */
  public float probability(int classIndex) {
    return scores()[classIndex];
  }

  /**
   * The probabilities of all classes, by class index; they sum to 1.
   *
   * @return a new array of {@link #classes()} probabilities
   * @throws IllegalStateException if the model gave the class only ({@link #hasScores()} false)
   */
  public float[] probabilities() {
    return scores().clone();
  }

  private float[] scores() {
    if (probabilities == null) {
      throw new IllegalStateException("the model gave the class only, no probabilities");
    }
    return probabilities;
  }

  /**
   * The {@code k} most probable classes, most probable first; ties by class index.
   *
   * @param k how many classes to list; all of them when {@code k} exceeds the class count
   * @return the classes with their probabilities, unmodifiable
   * @throws IllegalArgumentException if {@code k} is less than 1
   * @throws IllegalStateException if the model gave the class only ({@link #hasScores()} false)
   */
  public List<ClassScore> topK(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    float[] scores = scores();
    var all = new ArrayList<ClassScore>(scores.length);
    for (int c = 0; c < scores.length; c++) {
      all.add(new ClassScore(c, scores[c]));
    }
    all.sort(Comparator.comparing((ClassScore s) -> s.probability()).reversed()
        .thenComparingInt(ClassScore::classIndex));
    return List.copyOf(all.subList(0, Math.min(k, all.size())));
  }

  static int argmax(float[] scores) {
    int best = 0;
    for (int c = 1; c < scores.length; c++) {
      if (scores[c] > scores[best]) {
        best = c;
      }
    }
    return best;
  }

  private static boolean isDistribution(float[] scores) {
    double sum = 0;
    for (float s : scores) {
      if (!(s >= 0 && s <= 1)) {
        return false;
      }
      sum += s;
    }
    return Math.abs(sum - 1) < 1e-3;
  }

  private static float[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] exp = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      exp[i] = Math.exp(logits[i] - max);
      sum += exp[i];
    }
    float[] p = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      p[i] = (float) (exp[i] / sum);
    }
    return p;
  }

  @Override
  public String toString() {
    return "Classification[class " + predictedClass
        + (hasScores() ? ", top " + topK(3) : ", no scores") + "]";
  }
}
