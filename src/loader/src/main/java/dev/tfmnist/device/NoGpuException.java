package dev.tfmnist.device;

/** A GPU was asked for and TensorFlow sees none; the message names the likely reason. */
public final class NoGpuException extends IllegalStateException {
  public NoGpuException(String message) {
    super(message);
  }
}
