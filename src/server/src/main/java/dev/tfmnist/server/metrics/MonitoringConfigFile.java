package dev.tfmnist.server.metrics;

import dev.tfmnist.server.ConfigFileException;
import dev.tfmnist.server.TextProtoFile;
import dev.tfmnist.server.api.MonitoringConfig;
import java.nio.file.Path;
import java.util.Optional;

/**
 * TensorFlow Serving's monitoring config file ({@code --monitoring_config_file}): a
 * MonitoringConfig in protobuf text format, which says whether and where the REST port serves the
 * metrics in Prometheus's text format.
 *
 * <pre>
 * prometheus_config {
 *   enable: true
 *   path: "/monitoring/prometheus/metrics"
 * }
 * </pre>
 *
 * Without {@code enable: true} there are no metrics, as in TF Serving; an empty {@code path} is
 * {@link ServingMetrics#DEFAULT_PATH}.
 */
public final class MonitoringConfigFile {
  private MonitoringConfigFile() {}

  /**
   * Reads a monitoring config file.
   *
   * @param file the file
   * @return the path to serve the metrics at, or empty for none
   * @throws ConfigFileException one line naming the file, the line and what is wrong, if the file
   *     cannot be read or parsed or the path is not one ({@link ServingMetrics#checkPath})
   */
  public static Optional<String> read(Path file) throws ConfigFileException {
    return metricsPath(TextProtoFile.read(file, "monitoring config file",
        MonitoringConfig.getDefaultInstance()));
  }

  /**
   * {@link #read} of a file's text.
   *
   * @param file the file, for the messages
   * @param text its text
   * @return the path to serve the metrics at, or empty for none
   * @throws ConfigFileException as {@link #read}
   */
  public static Optional<String> parse(Path file, String text) throws ConfigFileException {
    return metricsPath(TextProtoFile.parse(file, text, MonitoringConfig.getDefaultInstance()));
  }

  private static Optional<String> metricsPath(TextProtoFile<MonitoringConfig> file)
      throws ConfigFileException {
    var prometheus = file.message().getPrometheusConfig();
    if (!prometheus.getEnable()) {
      return Optional.empty();
    }
    if (prometheus.getPath().isEmpty()) {
      return Optional.of(ServingMetrics.DEFAULT_PATH);
    }
    try {
      return Optional.of(ServingMetrics.checkPath(prometheus.getPath()));
    } catch (IllegalArgumentException e) {
      throw file.error(e.getMessage().replaceFirst("^the metrics path ", ""),
          "prometheus_config", "path");
    }
  }
}
