package dev.tfmnist.server.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TF Serving's model config files, as its users write them, and what is wrong with bad ones. */
class ModelConfigFileTest {
  /** The form TF Serving's documentation shows: single quotes, colons before braces, comments. */
  private static final String TWO_MODELS = """
      # two models, as in TF Serving's configuration guide
      model_config_list {
        config {
          name: 'mnist'
          base_path: '/models/mnist'
          model_platform: 'tensorflow'
          model_version_policy: {
            specific: {
              versions: 1
              versions: 2
            }
          }
          version_labels {
            key: 'stable'
            value: 1
          }
          version_labels {
            key: 'canary'
            value: 2
          }
        }
        config {
          name: "fashion"
          base_path: "relative/fashion"
          model_version_policy { latest { num_versions: 3 } }
        }
        config {
          name: "all"
          base_path: "/models/all"
          model_version_policy { all {} }
        }
      }
      """;

  private static List<ModelConfig> parse(Path dir, String text) throws Exception {
    Path file = dir.resolve("models.config");
    Files.writeString(file, text);
    return new ModelConfigFile(file).read();
  }

  @Test
  void readsTfServingsTextFormat(@TempDir Path dir) throws Exception {
    var configs = parse(dir, TWO_MODELS);
    assertEquals(3, configs.size());
    assertEquals(new ModelConfig("mnist", Path.of("/models/mnist"),
        VersionPolicy.specific(List.of(1L, 2L)), Map.of("stable", 1L, "canary", 2L)),
        configs.get(0));
    assertEquals(new ModelConfig("fashion", dir.resolve("relative/fashion"),
        VersionPolicy.latest(3), Map.of()), configs.get(1), "relative to the file's directory");
    assertEquals(VersionPolicy.all(), configs.get(2).policy());
  }

  private static String error(Path dir, String text) {
    return assertThrows(ModelConfigFile.InvalidConfigException.class, () -> parse(dir, text))
        .getMessage();
  }

  @Test
  void badFilesGetOneLineNamingTheFileAndWhere(@TempDir Path dir) {
    Path file = dir.resolve("models.config");
    String unknownField = error(dir, "model_config_list { config { name: 'a' base_path: '/a'"
        + "\n  base_dir: '/b' } }");
    assertTrue(unknownField.startsWith(file + ": line 2, column 3: "), unknownField);
    assertTrue(unknownField.contains("base_dir"), unknownField);
    assertEquals(file + ": config 1: name is missing",
        error(dir, "model_config_list { config { base_path: '/a' } }"));
    assertEquals(file + ": config 1 (a): base_path is missing",
        error(dir, "model_config_list { config { name: 'a' } }"));
    assertEquals(file + ": config 2 (a): the name a is used by config 1 too", error(dir,
        "model_config_list { config { name: 'a' base_path: '/a' }"
            + " config { name: 'a' base_path: '/b' } }"));
    assertEquals(file + ": config 1 (a): model_platform \"pytorch\" is not supported; expected"
        + " \"tensorflow\"", error(dir,
        "model_config_list { config { name: 'a' base_path: '/a' model_platform: 'pytorch' } }"));
    assertEquals(file + ": config 1 (a/b): model name must be non-empty without / or :, got"
        + " \"a/b\"", error(dir, "model_config_list { config { name: 'a/b' base_path: '/a' } }"));
    assertEquals(file + ": expected a model_config_list { config { ... } }", error(dir, ""));
    assertEquals(dir.resolve("nope") + ": cannot read the model config file: no such file",
        assertThrows(ModelConfigFile.InvalidConfigException.class,
            () -> new ModelConfigFile(dir.resolve("nope")).read()).getMessage());
  }

  @Test
  void changesAreReportedOnceAndABrokenEditKeepsTheModels(@TempDir Path dir) throws Exception {
    var configs = parse(dir, TWO_MODELS);
    Path file = dir.resolve("models.config");
    var problems = new ArrayList<String>();
    var changes = new ModelConfigFile(file).changes(configs, problems::add);
    assertEquals(Optional.empty(), changes.get(), "unchanged");

    Files.writeString(file, TWO_MODELS.replace("value: 2", "value: 1"));
    var changed = changes.get().orElseThrow();
    assertEquals(Map.of("stable", 1L, "canary", 1L), changed.get(0).labels());
    assertEquals(Optional.empty(), changes.get(), "reported once");

    Files.writeString(file, "model_config_list { config { name: ");
    assertEquals(Optional.empty(), changes.get());
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith(file + ": line ") && problems.get(0)
        .endsWith("; keeping the models served"), problems.get(0));
  }
}
