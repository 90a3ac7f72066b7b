package dev.tfmnist.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** The process's peak resident memory, which counts TensorFlow's native allocations too. */
final class PeakMemory {
  private PeakMemory() {}

  /** VmHWM from /proc/self/status, in bytes; empty where there is no /proc (macOS, Windows). */
  static OptionalLong peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
        }
      }
    } catch (IOException | NumberFormatException unavailable) {
      // not Linux
    }
    return OptionalLong.empty();
  }
}
