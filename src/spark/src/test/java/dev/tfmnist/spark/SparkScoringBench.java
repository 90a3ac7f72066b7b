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
import org.apache.commons.io.file.PathUtils;
import org.apache.spark.sql.SparkSession;

/**
 * tools/bench's Spark row, one side per JVM: the same PNG files (MNIST test images) classified
 * by ScoreImages on {@code local[2]} ({@code --only scoreimages}) or by PredictMnist in one
 * process ({@code --only predictmnist}), {@code --runs} times (default 3). The last, warm, runs
 * are compared, as a long job runs; the first, cold, ones are reported too. Separate JVMs,
 * because TensorFlow keeps a process's first thread pools: PredictMnist's (every core for one
 * run) and the executors' (one thread per run, a run per core) must not be each other's. Prints
 * {@code result KEY VALUE} lines. Usage: {@code SparkScoringBench --only WHICH --model DIR
 * --images N [--runs R]} (MNIST from $MNIST_DIR, else data/mnist).
 */
public final class SparkScoringBench {
  private SparkScoringBench() {}

  public static void main(String[] args) throws Exception {
    String model = TestModels.tf1Model().toString();
    int images = 10_000;
    int runs = 3;
    String only = "";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--model" -> model = args[i + 1];
        case "--images" -> images = Integer.parseInt(args[i + 1]);
        case "--runs" -> runs = Math.max(2, Integer.parseInt(args[i + 1]));
        case "--only" -> only = args[i + 1];
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
      result("spark.runs", runs);
      double[] seconds = new double[runs];
      switch (only) {
        case "predictmnist" -> {
          for (int run = 0; run < runs; run++) {
            seconds[run] = timePredictMnist(model, files);
          }
        }
        case "scoreimages" -> {
          long t0 = System.nanoTime();
          SparkSession spark = SparkSession.builder().master("local[2]")
              .appName("SparkScoringBench").config("spark.ui.enabled", "false").getOrCreate();
          result("spark.session_start_s", (System.nanoTime() - t0) / 1e9);
          try {
            for (int run = 0; run < runs; run++) {
              seconds[run] = timeScoreImages(model, pngs, work.resolve("scores-" + run));
            }
          } finally {
            spark.stop();
          }
          result("spark.model_loads", ExecutorModels.loads());
        }
        default -> throw new IllegalArgumentException("--only predictmnist or scoreimages, got "
            + only);
      }
      for (int run = 0; run < runs; run++) {
        result("spark." + only + ".run" + (run + 1) + "_s", seconds[run]);
      }
      result("spark." + only + ".first_s", seconds[0]);
      result("spark." + only + ".s", seconds[runs - 1]);
      result("spark." + only + ".images_per_s", images / seconds[runs - 1]);
    } finally {
      PathUtils.deleteDirectory(work);
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
