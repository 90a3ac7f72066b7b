package dev.tfmnist.device;

import java.util.Locale;

/** A device a TensorFlow session can place ops on, e.g. {@code /device:GPU:0}, GPU, 15.7 GB. */
public record DeviceInfo(String name, String type, long memoryBytes) {

  public boolean isGpu() {
    return "GPU".equals(type);
  }

  /** One row of the device table (the programs' --list-devices). */
  public String row() {
    String shortName = name.substring(name.indexOf("device:") >= 0 ? name.indexOf("device:") + 7 : 0);
    return String.format(Locale.ROOT, "  %-8s %-4s %s", shortName, type, memory());
  }

  private String memory() {
    if (!isGpu()) {
      return "host memory";  // TensorFlow reports a nominal 256 MB for the CPU device
    }
    double mb = memoryBytes / (1024.0 * 1024.0);
    return mb >= 1024 ? String.format(Locale.ROOT, "%.1f GB", mb / 1024) : String.format(Locale.ROOT, "%.0f MB", mb);
  }
}
