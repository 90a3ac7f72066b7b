package dev.tfmnist.server.models;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One model to serve: its name, the base directory of its numbered versions, which of them to
 * serve and the labels that name versions ({@code stable -> 3}), as an entry of TensorFlow
 * Serving's model config file.
 */
public record ModelConfig(String name, Path basePath, VersionPolicy policy,
    Map<String, Long> labels) {
  /** Names and labels as TF Serving's URLs take them: no slash or colon. */
  private static final Pattern NAME = Pattern.compile("[^/:]+");

  public ModelConfig {
    Objects.requireNonNull(basePath, "basePath");
    Objects.requireNonNull(policy, "policy");
    checkName("model name", name);
    labels = Map.copyOf(new TreeMap<>(labels));
    labels.keySet().forEach(label -> checkName("version label", label));
  }

  /** The latest version of {@code basePath}, without labels. */
  public static ModelConfig of(String name, Path basePath) {
    return new ModelConfig(name, basePath, VersionPolicy.DEFAULT, Map.of());
  }

  public ModelConfig withPolicy(VersionPolicy policy) {
    return new ModelConfig(name, basePath, policy, labels);
  }

  public ModelConfig withLabels(Map<String, Long> labels) {
    return new ModelConfig(name, basePath, policy, labels);
  }

  static void checkName(String what, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + " must be non-empty without / or :, got "
          + (name == null ? "none" : "\"" + name + "\""));
    }
  }
}
