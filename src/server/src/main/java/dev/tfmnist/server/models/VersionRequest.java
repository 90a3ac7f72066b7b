package dev.tfmnist.server.models;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Which version of a model a request is for: the latest served, a number, or a label.
 *
 * @param model the model's name
 * @param version a version number, or empty
 * @param label a version label, or empty; never both a version and a label
 */
public record VersionRequest(String model, OptionalLong version, Optional<String> label) {
  public VersionRequest {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(label, "label");
    if (version.isPresent() && label.isPresent()) {
      throw new IllegalArgumentException("a request names a version or a label, not both");
    }
  }

  public static VersionRequest latest(String model) {
    return new VersionRequest(model, OptionalLong.empty(), Optional.empty());
  }

  public static VersionRequest version(String model, long version) {
    return new VersionRequest(model, OptionalLong.of(version), Optional.empty());
  }

  public static VersionRequest label(String model, String label) {
    return new VersionRequest(model, OptionalLong.empty(), Optional.of(label));
  }

  /** As TF Serving words it in errors: {@code Latest(mnist)}, {@code Specific(mnist, 3)}. */
  @Override
  public String toString() {
    if (version.isPresent()) {
      return "Specific(" + model + ", " + version.getAsLong() + ")";
    }
    return label.map(l -> "Specific(" + model + ", " + l + ")")
        .orElse("Latest(" + model + ")");
  }
}
