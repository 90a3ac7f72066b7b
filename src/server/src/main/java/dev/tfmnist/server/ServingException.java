package dev.tfmnist.server;

import java.util.Objects;

/**
 * A request that failed with one of TensorFlow Serving's status codes. The REST API answers it
 * with the HTTP status TF Serving uses for the code and {@code {"error": message}}; the gRPC API
 * with the gRPC status of the same name and the message as its description.
 */
public final class ServingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** TensorFlow's (and gRPC's) error codes that this server answers with. */
  public enum Code {
    CANCELLED(499),
    UNKNOWN(500),
    INVALID_ARGUMENT(400),
    DEADLINE_EXCEEDED(504),
    NOT_FOUND(404),
    ALREADY_EXISTS(409),
    RESOURCE_EXHAUSTED(429),
    FAILED_PRECONDITION(400),
    ABORTED(409),
    OUT_OF_RANGE(400),
    UNIMPLEMENTED(501),
    INTERNAL(500),
    UNAVAILABLE(503);

    private final int httpStatus;

    Code(int httpStatus) {
      this.httpStatus = httpStatus;
    }

    /** The HTTP status TF Serving's REST API gives this code (its ToHTTPStatusCode). */
    public int httpStatus() {
      return httpStatus;
    }
  }

  private final Code code;

  public ServingException(Code code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public ServingException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  public Code code() {
    return code;
  }

  public static ServingException invalidArgument(String message) {
    return new ServingException(Code.INVALID_ARGUMENT, message);
  }

  public static ServingException notFound(String message) {
    return new ServingException(Code.NOT_FOUND, message);
  }
}
