package dev.tfmnist.device;

/** {@code --device gpu} and TensorFlow sees no GPU; the message names the likely reason. */
public final class NoGpuException extends IllegalStateException {
  public NoGpuException(String message) {
    super(message);
  }
}
