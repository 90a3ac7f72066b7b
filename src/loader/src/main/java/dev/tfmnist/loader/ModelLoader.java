package dev.tfmnist.loader;

import dev.tfmnist.device.DeviceChoice;
import dev.tfmnist.device.DevicePlan;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import org.tensorflow.proto.ConfigProto;

/**
 * Options for loading a model: which directory, which MetaGraph tags, which version of a base
 * directory and the session's configuration. Made by {@link LoadedModel#loader(Path)}.
 *
 * <pre>{@code
 * try (var model = LoadedModel.loader(Path.of("savedmodel/java")).tags("serve").load()) {
 *   ...
 * }
 * }</pre>
 */
public final class ModelLoader {
  /** The tag TensorFlow Serving loads, and every exporter writes for serving. */
  public static final String SERVE_TAG = "serve";

  private final Path path;
  private Set<String> tags = Set.of(SERVE_TAG);
  private OptionalLong version = OptionalLong.empty();
  private ConfigProto sessionConfig;

  ModelLoader(Path path) {
    this.path = Objects.requireNonNull(path, "path");
  }

  /** The MetaGraph to load is the one whose tag set is exactly {@code tags}; default {@code serve}. */
  public ModelLoader tags(String... tags) {
    if (tags.length == 0 || Arrays.stream(tags).anyMatch(t -> t == null || t.isEmpty())) {
      throw new IllegalArgumentException("tags must be non-empty strings, got "
          + Arrays.toString(tags));
    }
    this.tags = Set.copyOf(new LinkedHashSet<>(Arrays.asList(tags)));
    return this;
  }

  /** Loads this version of a base directory instead of the highest. */
  public ModelLoader version(long version) {
    if (version < 0) {
      throw new IllegalArgumentException("version must be 0 or more, got " + version);
    }
    this.version = OptionalLong.of(version);
    return this;
  }

  /** Session configuration: thread pools, GPU memory growth, device placement and the like. */
  public ModelLoader sessionConfig(ConfigProto config) {
    this.sessionConfig = Objects.requireNonNull(config, "config");
    return this;
  }

  /**
   * Runs the model where {@code plan} says (see {@link DevicePlan#resolve}): on the GPU, or on the
   * CPU with GPUs hidden; GPU memory grows as needed. Replaces any {@link #sessionConfig}.
   */
  public ModelLoader device(DevicePlan plan) {
    return sessionConfig(plan.sessionConfig());
  }

  /** {@link #device(DevicePlan)} for a choice: {@code GPU} throws when TensorFlow sees none. */
  public ModelLoader device(DeviceChoice choice) {
    return device(DevicePlan.resolve(choice, false));
  }

  public LoadedModel load() throws ModelLoadException {
    return LoadedModel.load(this);
  }

  Path path() {
    return path;
  }

  Set<String> tags() {
    return tags;
  }

  OptionalLong version() {
    return version;
  }

  ConfigProto sessionConfig() {
    return sessionConfig;
  }
}
