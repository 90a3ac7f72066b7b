package dev.tfmnist.spark;

import dev.tfmnist.cli.PredictMnist;
import dev.tfmnist.testing.TestModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * tools/bench's Spark row: the same PNG files (MNIST test images) classified by ScoreImages on
 * {@code local[2]} and by PredictMnist in one process, each run twice in this JVM (the second,
 * warm, run is the one compared; the first is reported too). Prints {@code result KEY VALUE}
 * lines. Usage: {@code SparkScoringBench --model DIR --images N} (MNIST from $MNIST_DIR, else
 * data/mnist).
 */
public final class SparkScoringBench {
  private SparkScoringBench() {}

  public static void main(String[] args) throws Exception {
    String model = TestModels.tf1Model().toString();
    int images = 10_000;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--model" -> model = args[i + 1];
        case "--images" -> images = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path work = Files.createTempDirectory("spark-bench");
    try {
      Path pngs = Files.createDirectories(work.resolve("pngs"));
      float[] pixels = TestModels.testImages(0, images);
      var files = new ArrayList<String>();
      for (int i = 0; i < images; i++) {
        Path file = pngs.resolve(String.format("test-%05d.png", i));
        SparkScoringTest.writePng(file, pixels, i);
        files.add(file.toString());
      }
      result("spark.images", images);

      double[] predict = new double[2];
      for (int run = 0; run < 2; run++) {
        predict[run] = timePredictMnist(model, files);
      }
      long t0 = System.nanoTime();
      SparkSession spark = SparkSession.builder().master("local[2]").appName("SparkScoringBench")
          .config("spark.ui.enabled", "false").getOrCreate();
      result("spark.session_start_s", (System.nanoTime() - t0) / 1e9);
      double[] score = new double[2];
      try {
        for (int run = 0; run < 2; run++) {
          score[run] = timeScoreImages(model, pngs, work.resolve("scores-" + run));
        }
      } finally {
        spark.stop();
      }
      result("spark.predictmnist.first_s", predict[0]);
      result("spark.predictmnist.s", predict[1]);
      result("spark.predictmnist.images_per_s", images / predict[1]);
      result("spark.scoreimages.first_s", score[0]);
      result("spark.scoreimages.s", score[1]);
      result("spark.scoreimages.images_per_s", images / score[1]);
      result("spark.ratio", predict[1] / score[1]);
      result("spark.model_loads", ExecutorModels.loads());
    } finally {
      try (var walk = Files.walk(work)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static double timePredictMnist(String model, List<String> files) {
    var args = new ArrayList<String>();
    args.add("--model");
    args.add(model);
    args.addAll(files);
    var err = new StringWriter();
    long t0 = System.nanoTime();
    int code = PredictMnist.run(args.toArray(String[]::new), new PrintWriter(new StringWriter()),
        new PrintWriter(err));
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (code != 0) {
      throw new IllegalStateException("PredictMnist failed: " + err);
    }
    return seconds;
  }

  private static double timeScoreImages(String model, Path pngs, Path output) {
    var out = new StringWriter();
    var err = new StringWriter();
    long t0 = System.nanoTime();
    int code = ScoreImages.run(new String[] {"--model", model, "--images", pngs.toString(),
        "--output", output.toString()}, new PrintWriter(out), new PrintWriter(err));
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (code != 0 || !out.toString().startsWith("scored ")) {
      throw new IllegalStateException("ScoreImages failed: " + err + out);
    }
    return seconds;
  }

  private static void result(String key, double value) {
    System.out.println("result " + key + " " + (value == Math.rint(value)
        ? Long.toString((long) value) : String.format(Locale.ROOT, "%.6g", value)));
  }
}
