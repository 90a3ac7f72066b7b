package dev.tfmnist.device;

/**
 * A GPU was asked for and TensorFlow sees none; the message names the likely reason (the CPU build
 * of the natives, no NVIDIA driver, or missing CUDA and cuDNN libraries). Thrown by {@link
 * DevicePlan#resolve(DeviceChoice, boolean)} for {@link DeviceChoice#GPU}.
 */
public final class NoGpuException extends IllegalStateException {
  /**
   * Creates the exception.
   *
   * @param message what went wrong and the likely reason
   */
  public NoGpuException(String message) {
    super(message);
  }
}
