package dev.tfmnist.server;

import java.util.Objects;

/**
 * Whether a server should get traffic now, as a load balancer or Kubernetes readiness probe
 * asks: {@link ServingCore#readiness()} holds the rule, the front ends only render it.
 *
 * @param ready whether every model has a version available, the server warmed up and it is not
 *     shutting down
 * @param reason why not, in one line; empty when ready
 */
public record Readiness(boolean ready, String reason) {
  /** Ready, nothing to explain. */
  public static final Readiness READY = new Readiness(true, "");

  /**
   * Checks that a ready value has no reason and a not-ready one has.
   *
   * @throws IllegalArgumentException if {@code ready} and {@code reason} disagree
   */
  public Readiness {
    Objects.requireNonNull(reason, "reason");
    if (ready != reason.isEmpty()) {
      throw new IllegalArgumentException(ready ? "a ready server needs no reason"
          : "a server not ready needs a reason");
    }
  }

  /**
   * Not ready, for a reason.
   *
   * @param reason why; line breaks (a load error's, say) become spaces
   * @return the readiness
   */
  public static Readiness notReady(String reason) {
    return new Readiness(false, reason.replaceAll("\\s*\\R\\s*", " ").strip());
  }
}
