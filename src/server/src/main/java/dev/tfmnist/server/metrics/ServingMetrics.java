package dev.tfmnist.server.metrics;

import dev.tfmnist.server.models.ModelManager;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The server's metrics in Prometheus's text format, named after TensorFlow Serving's (the
 * Prometheus client adds {@code _total} to counters, and latencies are in seconds where TF
 * Serving's are in microseconds). Model and signature labels name only what the server has:
 *
 * <ul>
 *   <li>{@code :tensorflow:serving:request_count}: requests by model, signature, API ({@code
 *       predict}, {@code metadata}, {@code status}, ...), entry point ({@code REST}, {@code GRPC})
 *       and status ({@code OK}, {@code INVALID_ARGUMENT}, ...);
 *   <li>{@code :tensorflow:serving:request_latency_seconds}: their latency, same labels but the
 *       status;
 *   <li>{@code :tensorflow:serving:batch_size}: rows per run of the model, batched or not;
 *   <li>{@code :tensorflow:serving:model_versions_loaded}: versions serving, by model.
 * </ul>
 */
public final class ServingMetrics {
  /** Where TF Serving serves them, and this server unless told otherwise. */
  public static final String DEFAULT_PATH = "/monitoring/prometheus/metrics";

  /** What Prometheus servers ask for and get: text format 0.0.4. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests;
  private final Histogram latency;
  private final Histogram batchSize;

  public ServingMetrics(ModelManager models) {
    requests = Counter.builder()
        .name(":tensorflow:serving:request_count")
        .help("Requests by model, signature, API, entry point and status")
        .labelNames("model_name", "signature_name", "API", "entrypoint", "status")
        .register(registry);
    latency = Histogram.builder()
        .name(":tensorflow:serving:request_latency_seconds")
        .help("Time from a request's arrival to its answer")
        .labelNames("model_name", "signature_name", "API", "entrypoint")
        .classicOnly()
        .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
        .register(registry);
    batchSize = Histogram.builder()
        .name(":tensorflow:serving:batch_size")
        .help("Rows per run of a model")
        .classicOnly()
        .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
        .register(registry);
    GaugeWithCallback.builder()
        .name(":tensorflow:serving:model_versions_loaded")
        .help("Versions of each model serving now")
        .labelNames("model_name")
        .callback(callback -> models.models().forEach(
            name -> callback.call(models.servingVersions(name).size(), name)))
        .register(registry);
  }

  /**
   * Checks a path to serve the metrics at: absolute, without a query, a fragment or spaces, and
   * outside TF Serving's API ({@code /v1/}).
   *
   * @param path e.g. {@code /metrics}
   * @return the path
   * @throws IllegalArgumentException if it is not such a path
   */
  public static String checkPath(String path) {
    if (path == null || !path.startsWith("/") || path.startsWith("/v1/")
        || !path.matches("[^?#\\s]+")) {
      throw new IllegalArgumentException("the metrics path must start with / and not with /v1/,"
          + " without ?, # or spaces, got \"" + path + "\"");
    }
    return path;
  }

  /** Counts one answered request and its latency. */
  public void request(String model, String signature, String api, String entrypoint,
      String status, long nanos) {
    requests.labelValues(model, signature, api, entrypoint, status).inc();
    latency.labelValues(model, signature, api, entrypoint).observe(nanos / 1e9);
  }

  /** Counts one run of a model on {@code rows} rows. */
  public void batch(int rows) {
    batchSize.observe(rows);
  }

  /** Everything, in Prometheus's text format. */
  public byte[] scrape() {
    var out = new ByteArrayOutputStream();
    try {
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
