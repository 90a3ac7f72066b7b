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
 * directory and the session's configuration. Made by {@link LoadedModel#loader(Path)}; each
 * setter returns this loader, and {@link #load()} may be called more than once, each time loading
 * a new model. Not thread-safe.
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

  /**
   * The MetaGraph to load is the one whose tag set is exactly {@code tags}; default {@code serve}.
   *
   * @param tags the tags, in any order; duplicates count once
   * @return this loader
   * @throws IllegalArgumentException if no tag is given, or one is null or empty
   */
  public ModelLoader tags(String... tags) {
    if (tags.length == 0 || Arrays.stream(tags).anyMatch(t -> t == null || t.isEmpty())) {
      throw new IllegalArgumentException("tags must be non-empty strings, got "
          + Arrays.toString(tags));
    }
    this.tags = Set.copyOf(new LinkedHashSet<>(Arrays.asList(tags)));
    return this;
  }

  /**
   * Loads this version of a base directory instead of the highest. Given a SavedModel directory,
   * its name must be this version.
   *
   * @param version the version directory's number (zero padding in its name is allowed)
   * @return this loader
   * @throws IllegalArgumentException if {@code version} is negative
   */
  public ModelLoader version(long version) {
    if (version < 0) {
      throw new IllegalArgumentException("version must be 0 or more, got " + version);
    }
    this.version = OptionalLong.of(version);
    return this;
  }

  /**
   * Session configuration: thread pools, GPU memory growth, device placement and the like.
   * Replaces any earlier configuration, also one set by {@link #device(DevicePlan)}; without one
   * the session gets TensorFlow's defaults.
   *
   * @param config the session's ConfigProto
   * @return this loader
   * @throws NullPointerException if {@code config} is null
   */
  public ModelLoader sessionConfig(ConfigProto config) {
    this.sessionConfig = Objects.requireNonNull(config, "config");
    return this;
  }

  /**
   * Runs the model where {@code plan} says (see {@link DevicePlan#resolve}): on the GPU, or on the
   * CPU with GPUs hidden; GPU memory grows as needed. Replaces any {@link #sessionConfig}.
   *
   * @param plan the resolved plan, whose {@link DevicePlan#sessionConfig()} the session gets
   * @return this loader
   * @throws NullPointerException if {@code plan} is null
   */
  public ModelLoader device(DevicePlan plan) {
    return sessionConfig(plan.sessionConfig());
  }

  /**
   * {@link #device(DevicePlan)} for a choice: {@code GPU} throws when TensorFlow sees none. The
   * plan is resolved now, with TensorFlow's default thread pools and no placement log ({@link
   * DevicePlan#resolve(DeviceChoice, boolean)}); a program that sets thread pools resolves its plan
   * itself.
   *
   * @param choice where to run
   * @return this loader
   * @throws dev.tfmnist.device.NoGpuException for {@link DeviceChoice#GPU} when no GPU is visible
   */
  public ModelLoader device(DeviceChoice choice) {
    return device(DevicePlan.resolve(choice, false));
  }

  /**
   * Loads the model with these options.
   *
   * @return the loaded model, which the caller must close
   * @throws ModelLoadException if the directory is missing or is no SavedModel, lacks the
   *     MetaGraph, version or variables asked for, or TensorFlow cannot load or restore it; the
   *     message starts with the path
   * @throws UnregisteredOpException (a {@link ModelLoadException}) if the graph uses an op this
   *     TensorFlow does not have; see {@link LoadedModel#loadLibrary}
   */
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
