package dev.tfmnist.device;

import java.util.Locale;

/**
 * A device a TensorFlow session can place ops on, e.g. {@code /device:GPU:0}, GPU, 15.7 GB, as
 * TensorFlow's C API lists it.
 *
 * @param name the device's full name, e.g. {@code /job:localhost/replica:0/task:0/device:GPU:0}
 * @param type the device type, e.g. {@code CPU} or {@code GPU}
 * @param memoryBytes the memory TensorFlow reports for the device, in bytes: a GPU's usable memory,
 *     a nominal figure for the CPU
 */
public record DeviceInfo(String name, String type, long memoryBytes) {

  /**
   * Whether this is a GPU.
   *
   * @return true when {@link #type()} is {@code GPU}
   */
  public boolean isGpu() {
    return "GPU".equals(type);
  }

  /**
   * One row of the device table (the programs' {@code --list-devices}): the name from {@code
   * device:} on, the type, and the memory in MB or GB for a GPU or {@code host memory} for other
   * devices.
   *
   * @return the row, indented by two spaces, without a line break
   */
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
