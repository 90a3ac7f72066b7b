package dev.tfmnist.server;

import java.util.Objects;

/**
 * A request that failed, with one of TensorFlow Serving's canonical error codes (TensorFlow's
 * {@code error.Code}, which gRPC's status codes share). The core speaks only in these codes; each
 * front end maps them to its protocol: {@code server.http} to HTTP statuses as TF Serving's REST
 * API does, {@code server.grpc} to the gRPC status of the same name.
 */
public final class ServingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** TensorFlow's error codes that this server answers with, with their numbers. */
  public enum Code {
    CANCELLED(1),
    UNKNOWN(2),
    INVALID_ARGUMENT(3),
    DEADLINE_EXCEEDED(4),
    NOT_FOUND(5),
    ALREADY_EXISTS(6),
    RESOURCE_EXHAUSTED(8),
    FAILED_PRECONDITION(9),
    ABORTED(10),
    OUT_OF_RANGE(11),
    UNIMPLEMENTED(12),
    INTERNAL(13),
    UNAVAILABLE(14);

    private final int value;

    Code(int value) {
      this.value = value;
    }

    /**
     * The code's number in TensorFlow's {@code error.Code} (and gRPC's status codes).
     *
     * @return e.g. 3 for INVALID_ARGUMENT
     */
    public int value() {
      return value;
    }
  }

  private final Code code;

  /**
   * A failure with a code and the message the client gets.
   *
   * @param code TF Serving's code for it
   * @param message one line for the client
   */
  public ServingException(Code code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * A failure with a code, the message the client gets and what caused it (for the log).
   *
   * @param code TF Serving's code for it
   * @param message one line for the client
   * @param cause the underlying failure
   */
  public ServingException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * The error code.
   *
   * @return the code the front ends map to their protocol's status
   */
  public Code code() {
    return code;
  }

  /**
   * An INVALID_ARGUMENT failure.
   *
   * @param message one line naming the value and what was expected
   * @return the exception, to throw
   */
  public static ServingException invalidArgument(String message) {
    return new ServingException(Code.INVALID_ARGUMENT, message);
  }

  /**
   * A NOT_FOUND failure.
   *
   * @param message one line naming what was not found
   * @return the exception, to throw
   */
  public static ServingException notFound(String message) {
    return new ServingException(Code.NOT_FOUND, message);
  }
}
