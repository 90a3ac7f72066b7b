package dev.tfmnist.server.http;

import dev.tfmnist.server.ServingException.Code;

/** The one place where TF Serving's error codes become HTTP statuses (its ToHTTPStatusCode). */
final class HttpStatuses {
  private HttpStatuses() {}

  /**
   * The HTTP status TF Serving's REST API answers a code with.
   *
   * @param code the core's error code
   * @return e.g. 400 for INVALID_ARGUMENT, 404 for NOT_FOUND, 503 for UNAVAILABLE
   */
  static int of(Code code) {
    return switch (code) {
      case CANCELLED -> 499;
      case UNKNOWN, INTERNAL -> 500;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case DEADLINE_EXCEEDED -> 504;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
    };
  }
}
