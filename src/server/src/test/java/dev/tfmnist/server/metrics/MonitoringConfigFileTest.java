package dev.tfmnist.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.server.ConfigFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TF Serving's monitoring config files: whether and where the metrics are served. */
class MonitoringConfigFileTest {
  private static final Path FILE = Path.of("monitoring.config");

  private static Optional<String> parse(String text) throws ConfigFileException {
    return MonitoringConfigFile.parse(FILE, text);
  }

  private static String error(String text) {
    return assertThrows(ConfigFileException.class, () -> parse(text)).getMessage();
  }

  @Test
  void enabledAtItsPathOrTensorFlowServingsDefault(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("monitoring.config");
    Files.writeString(file, """
        prometheus_config {
          enable: true,
          path: "/metrics"
        }
        """);
    assertEquals(Optional.of("/metrics"), MonitoringConfigFile.read(file));
    assertEquals(Optional.of("/monitoring/prometheus/metrics"),
        parse("prometheus_config { enable: true }"));
  }

  @Test
  void withoutEnableThereAreNoMetrics() throws Exception {
    assertEquals(Optional.empty(), parse(""));
    assertEquals(Optional.empty(), parse("prometheus_config { path: \"/metrics\" }"));
    assertEquals(Optional.empty(), parse("prometheus_config { enable: false }"));
  }

  @Test
  void errorsNameTheFileAndTheLine(@TempDir Path dir) {
    assertEquals(FILE + ": line 3: prometheus_config.path: must start with / and not with /v1/,"
        + " without ?, # or spaces, got \"metrics\"",
        error("prometheus_config {\n  enable: true\n  path: \"metrics\"\n}"));
    assertEquals(FILE + ": line 1: prometheus_config.path: must start with / and not with /v1/,"
        + " without ?, # or spaces, got \"/v1/metrics\"",
        error("prometheus_config { enable: true path: '/v1/metrics' }"));
    String unknown = error("prometheus_config {\n  enable: true\n  port: 9090\n}");
    assertTrue(unknown.startsWith(FILE + ": line 3, column 3: ") && unknown.contains("port"),
        unknown);
    String notABoolean = error("prometheus_config { enable: yes }");
    assertTrue(notABoolean.startsWith(FILE + ": line 1, column "), notABoolean);
    assertEquals(dir.resolve("none") + ": cannot read the monitoring config file: no such file",
        assertThrows(ConfigFileException.class,
            () -> MonitoringConfigFile.read(dir.resolve("none"))).getMessage());
  }
}
