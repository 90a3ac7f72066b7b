package dev.tfmnist.server.http;

/**
 * An HTTP-only failure (413, a body over the size limit) that has no TensorFlow status code; the
 * REST API answers it with {@code {"error": message}}.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  ApiException(int status, String message) {
    super(message);
    this.status = status;
  }

  int status() {
    return status;
  }
}
