package dev.tfmnist.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The process's peak resident set (VmHWM), which counts TensorFlow's native memory too. */
final class RssProbe {
  /** JMH forks append {@code label bytes} to the file this system property names. */
  static final String FILE_PROPERTY = "bench.rss.file";

  private RssProbe() {}

  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("cannot read VmHWM from /proc/self/status: " + e, e);
    }
    throw new IllegalStateException("no VmHWM line in /proc/self/status");
  }

  /** Appends this fork's peak RSS under {@code label}, when run by BenchMain. */
  static void record(String label) {
    String file = System.getProperty(FILE_PROPERTY);
    if (file == null) {
      return;
    }
    try {
      Files.writeString(Path.of(file), label + " " + peakRssBytes() + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + file + ": " + e, e);
    }
  }
}
