package dev.tfmnist.device;

import java.util.Locale;

/**
 * Where TensorFlow should run, as a user chooses it: auto, cpu or gpu. {@link
 * DevicePlan#resolve(DeviceChoice, boolean)} turns a choice into a session configuration.
 */
public enum DeviceChoice {
  /** The GPU when TensorFlow sees one, else the CPU (with a note saying so). */
  AUTO,
  /** The CPU, even when a GPU is visible: GPUs are hidden from the session. */
  CPU,
  /** A GPU, or a clear error naming the likely reason there is none. */
  GPU;

  /**
   * Parses {@code auto}, {@code cpu} or {@code gpu}, in any case and with surrounding whitespace,
   * e.g. the value of a {@code --device} option.
   *
   * @param value the text to parse
   * @return the choice it names
   * @throws IllegalArgumentException if {@code value} names none of the three; the message quotes
   *     it
   * @throws NullPointerException if {@code value} is null
   */
  public static DeviceChoice parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a device must be auto, cpu or gpu, got '" + value + "'");
    }
  }
}
