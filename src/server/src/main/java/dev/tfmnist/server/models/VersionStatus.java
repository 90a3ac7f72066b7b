package dev.tfmnist.server.models;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a version is in its life, as TF Serving's ModelVersionStatus: loading, available,
 * unloading or ended; a version that failed to load is ended with its error.
 *
 * @param version the version number
 * @param state its state
 * @param error why it failed to load, when it did
 */
public record VersionStatus(long version, State state, Optional<String> error) {
  /** TF Serving's ModelVersionStatus.State, in the order a version goes through them. */
  public enum State {
    START,
    LOADING,
    AVAILABLE,
    UNLOADING,
    END
  }

  public VersionStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(error, "error");
  }

  static VersionStatus of(long version, State state) {
    return new VersionStatus(version, state, Optional.empty());
  }

  static VersionStatus failed(long version, String error) {
    return new VersionStatus(version, State.END, Optional.of(error));
  }
}
