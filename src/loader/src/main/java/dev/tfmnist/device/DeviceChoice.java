package dev.tfmnist.device;

import java.util.Locale;

/** Where TensorFlow should run: auto, cpu or gpu. */
public enum DeviceChoice {
  /** The GPU when TensorFlow sees one, else the CPU (with a note saying so). */
  AUTO,
  /** The CPU, even when a GPU is visible: GPUs are hidden from the session. */
  CPU,
  /** A GPU, or a clear error naming the likely reason there is none. */
  GPU;

  /** Parses {@code auto}, {@code cpu} or {@code gpu}, in any case. */
  public static DeviceChoice parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a device must be auto, cpu or gpu, got '" + value + "'");
    }
  }
}
