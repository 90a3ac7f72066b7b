package dev.tfmnist.server.models;

import dev.tfmnist.server.ConfigFileException;
import dev.tfmnist.server.TextProtoFile;
import dev.tfmnist.server.api.ModelServerConfig;
import dev.tfmnist.server.api.ServableVersionPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * TensorFlow Serving's model config file ({@code --model_config_file}): a ModelServerConfig in
 * protobuf text format,
 *
 * <pre>
 * model_config_list {
 *   config {
 *     name: "mnist"
 *     base_path: "/models/mnist"
 *     model_platform: "tensorflow"
 *     model_version_policy { latest { num_versions: 2 } }
 *     version_labels { key: "stable" value: 1 }
 *   }
 * }
 * </pre>
 *
 * A relative {@code base_path} is taken from the file's directory.
 */
public final class ModelConfigFile {
  private final Path file;

  private static final String WHAT = "model config file";

  public ModelConfigFile(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** Reads and checks the file; {@link InvalidConfigException} names the file and the problem. */
  public List<ModelConfig> read() throws InvalidConfigException {
    try {
      return parse(TextProtoFile.readText(file, WHAT));
    } catch (InvalidConfigException e) {
      throw e;
    } catch (ConfigFileException e) {
      throw new InvalidConfigException(e.getMessage());
    }
  }

  List<ModelConfig> parse(String text) throws InvalidConfigException {
    ModelServerConfig config;
    try {
      config = TextProtoFile.parse(file, text, ModelServerConfig.getDefaultInstance()).message();
    } catch (ConfigFileException e) {
      throw new InvalidConfigException(e.getMessage());
    }
    Path dir = file.toAbsolutePath().getParent();
    return fromProto(config, dir == null ? Path.of("") : dir, file.toString());
  }

  /**
   * The models of a ModelServerConfig, as a config file or ModelService's
   * HandleReloadConfigRequest gives one: relative base paths are taken from {@code dir}, and
   * errors are one line starting with {@code source}.
   */
  public static List<ModelConfig> fromProto(ModelServerConfig config, Path dir, String source)
      throws InvalidConfigException {
    if (!config.hasModelConfigList()) {
      throw new InvalidConfigException(source + ": expected a model_config_list { config { ... } }");
    }
    var configs = new ArrayList<ModelConfig>();
    var names = new TreeMap<String, Integer>();
    int index = 0;
    for (var entry : config.getModelConfigList().getConfigList()) {
      index++;
      String where = source + ": config " + index + (entry.getName().isEmpty() ? ""
          : " (" + entry.getName() + ")") + ": ";
      if (entry.getName().isEmpty()) {
        throw new InvalidConfigException(where + "name is missing");
      }
      Integer earlier = names.putIfAbsent(entry.getName(), index);
      if (earlier != null) {
        throw new InvalidConfigException(where + "the name " + entry.getName()
            + " is used by config " + earlier + " too");
      }
      if (entry.getBasePath().isEmpty()) {
        throw new InvalidConfigException(where + "base_path is missing");
      }
      if (!entry.getModelPlatform().isEmpty() && !entry.getModelPlatform().equals("tensorflow")) {
        throw new InvalidConfigException(where + "model_platform \"" + entry.getModelPlatform()
            + "\" is not supported; expected \"tensorflow\"");
      }
      Path base = Path.of(entry.getBasePath());
      if (!base.isAbsolute()) {
        base = dir.toAbsolutePath().resolve(base).normalize();
      }
      try {
        configs.add(new ModelConfig(entry.getName(), base, policy(entry.getModelVersionPolicy()),
            new TreeMap<>(entry.getVersionLabelsMap())));
      } catch (IllegalArgumentException e) {
        throw new InvalidConfigException(where + e.getMessage());
      }
    }
    if (configs.isEmpty()) {
      throw new InvalidConfigException(source + ": model_config_list lists no config");
    }
    return configs;
  }

  private static VersionPolicy policy(ServableVersionPolicy policy) {
    return switch (policy.getPolicyChoiceCase()) {
      case LATEST -> VersionPolicy.latest(policy.getLatest().getNumVersions() == 0 ? 1
          : policy.getLatest().getNumVersions());
      case ALL -> VersionPolicy.all();
      case SPECIFIC -> VersionPolicy.specific(policy.getSpecific().getVersionsList());
      case POLICYCHOICE_NOT_SET -> VersionPolicy.DEFAULT;
    };
  }

  /**
   * For {@link ModelManager.Builder#configSource}: the file's models when its contents changed
   * since the last call, else empty; a file that no longer reads or parses is reported to {@code
   * problems} (once per change) and the models stay as they were.
   */
  public Supplier<Optional<List<ModelConfig>>> changes(List<ModelConfig> current,
      Consumer<String> problems) {
    var last = new Object() {
      String text = null;
      List<ModelConfig> configs = current;
    };
    try {
      last.text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      last.text = null;
    }
    return () -> {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        if (last.text != null) {
          problems.accept(file + ": cannot read the model config file (" + e.getMessage()
              + "); keeping the models served");
          last.text = null;
        }
        return Optional.empty();
      }
      if (text.equals(last.text)) {
        return Optional.empty();
      }
      last.text = text;
      try {
        List<ModelConfig> configs = parse(text);
        if (configs.equals(last.configs)) {
          return Optional.empty();
        }
        last.configs = configs;
        return Optional.of(configs);
      } catch (InvalidConfigException e) {
        problems.accept(e.getMessage() + "; keeping the models served");
        return Optional.empty();
      }
    };
  }

  /** A model config file that cannot be read or is not valid; the message is one line. */
  public static final class InvalidConfigException extends ConfigFileException {
    private static final long serialVersionUID = 1L;

    InvalidConfigException(String message) {
      super(message);
    }
  }
}
