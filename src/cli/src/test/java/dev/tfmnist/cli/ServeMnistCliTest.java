package dev.tfmnist.cli;

import static dev.tfmnist.cli.CliRun.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ServeMnist's refusals, in process: each is one line and a non-zero exit, before serving. */
class ServeMnistCliTest {

  private static CliRun run(String... args) {
    return CliRun.of(ServeMnist::run, args);
  }

  @Test
  void missingDirectory(@TempDir Path dir) {
    assertOneLineError(run("--model", dir.resolve("nope").toString()), 1,
        dir.resolve("nope") + ": no such directory");
  }

  @Test
  void directoryThatIsNoSavedModel(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("checkpoints"));
    assertOneLineError(run("--model", dir.toString()), 1, dir + ": not a SavedModel");
  }

  @Test
  void portInUse() throws IOException {
    try (var taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CliRun run = run("--model", TestModels.identityModel().toString(), "--port",
          Integer.toString(taken.getLocalPort()));
      assertOneLineError(run, 1, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  void badOptions() {
    String model = TestModels.identityModel().toString();
    assertOneLineError(run("--model", model, "--port", "70000"), 2,
        "--port must be -1 (none) or in 0..65535, got 70000");
    assertOneLineError(run("--model", model, "--max-batch-size", "0"), 2,
        "max batch size must be at least 1, got 0");
    assertOneLineError(run("--model", model, "--name", "a/b"), 2, "model name");
    assertOneLineError(run("--port", "1"), 2, "--model");
    CliRun help = run("--help");
    assertEquals(0, help.exitCode());
    for (String option : List.of("--model", "--name", "--port", "--host", "--max-batch-size",
        "--batch-timeout-micros", "--no-batching", "--max-request-bytes", "--grpc-port",
        "--model-config-file", "--max-enqueued-batches", "--request-timeout-ms", "--no-ui")) {
      assertTrue(help.out().contains(option), option + " missing from --help");
    }
    // each serving option names what a TF Serving user would set instead
    String flat = help.out().replaceAll("\\s+", " ");
    for (String equivalent : List.of("TF Serving: --model_base_path", "TF Serving: --model_name",
        "TF Serving: --rest_api_port", "TF Serving: max_batch_size in --batching_parameters_file",
        "TF Serving: batch_timeout_micros", "TF Serving: num_batch_threads",
        "it batches with --enable_batching", "TF Serving: --port)",
        "TF Serving: --model_config_file)", "TF Serving: --model_config_file_poll_wait_seconds",
        "TF Serving: --file_system_poll_wait_seconds", "TF Serving: max_enqueued_batches",
        "TF Serving: --rest_api_timeout_in_ms")) {
      assertTrue(flat.contains(equivalent), equivalent + " missing from --help:\n" + help.out());
    }
  }

  @Test
  void corsOriginsAndTheProbes() {
    String flat = run("--help").out().replaceAll("\\s+", " ");
    for (String expected : List.of("--cors-allow-origin=ORIGIN",
        "TF Serving: --rest_api_enable_cors_support", "GET /healthz", "GET /readyz")) {
      assertTrue(flat.contains(expected), expected + " missing from --help:\n" + flat);
    }
    // refused before anything loads: a path, or a trailing slash, never matches a browser's Origin
    String model = TestModels.identityModel().toString();
    assertOneLineError(run("--model", model, "--cors-allow-origin", "https://app.example",
        "--cors-allow-origin", "https://app.example/"), 2, "a CORS origin must be * or"
        + " scheme://host[:port] without a path, got \"https://app.example/\"");
  }

  @Test
  void badConfigFilesAndConflictingOptions(@TempDir Path dir) throws IOException {
    Path config = dir.resolve("models.config");
    Files.writeString(config, "model_config_list { config { name: 'mnist' } }");
    assertOneLineError(run("--model-config-file", config.toString()), 1,
        config + ": config 1 (mnist): base_path is missing");
    assertOneLineError(run("--model-config-file", dir.resolve("none").toString()), 1,
        dir.resolve("none") + ": cannot read the model config file: no such file");
    Files.writeString(config, "model_config_list { config { name: 'mnist' base_path: 'empty' } }");
    Files.createDirectories(dir.resolve("empty"));
    assertOneLineError(run("--model-config-file", config.toString(), "--port", "0",
        "--grpc-port", "0"), 1, dir.resolve("empty") + ": no version of model mnist could be"
        + " loaded: no version directory holds a SavedModel");
    assertOneLineError(run("--model-config-file", config.toString(), "--model", dir.toString()),
        2, "--model and --model-config-file are exclusive");
    String model = TestModels.identityModel().toString();
    assertOneLineError(run("--model", model, "--grpc-port", "-2"), 2,
        "--grpc-port must be -1 (none) or in 0..65535, got -2");
    assertOneLineError(run("--model", model, "--request-timeout-ms", "0"), 2,
        "--request-timeout-ms must be at least 1, got 0");
    assertOneLineError(run("--model", model, "--max-enqueued-batches", "0"), 2,
        "max enqueued batches must be at least 1, got 0");
  }

  @Test
  void tensorFlowServingsSpellingsAreAliases() {
    var serve = new ServeMnist();
    new picocli.CommandLine(serve).parseArgs("--model_base_path=/m", "--model_name", "digits",
        "--rest_api_port=9000", "--model_config_file_poll_wait_seconds=5",
        "--file_system_poll_wait_seconds", "2", "--rest_api_timeout_in_ms=100",
        "--rest_api_num_threads=3", "--grpc_max_threads", "2", "--rest_api_enable_cors_support",
        "--enable_batching=false", "--monitoring_config_file=/etc/monitoring.config");
    assertEquals(Path.of("/m"), serve.model);
    assertEquals("digits", serve.name);
    assertEquals(9000, serve.port, "--rest_api_port is the REST port, as ServeMnist's --port");
    assertEquals(8500, serve.grpcPort);
    assertEquals(5, serve.configPollSeconds);
    assertEquals(2, serve.pollSeconds);
    assertEquals(100, serve.requestTimeoutMs);
    assertEquals(3, serve.restThreads);
    assertEquals(2, serve.grpcThreads);
    assertTrue(serve.corsAnyOrigin);
    assertEquals(Boolean.FALSE, serve.enableBatching);
    assertEquals(Path.of("/etc/monitoring.config"), serve.monitoringConfigFile);
    var files = new ServeMnist();
    new picocli.CommandLine(files).parseArgs("--model_config_file", "/etc/models.config",
        "--batching_parameters_file=/etc/batching.config");
    assertEquals(Path.of("/etc/models.config"), files.modelConfigFile);
    assertEquals(Path.of("/etc/batching.config"), files.batchingParametersFile);
  }

  @Test
  void messagesNameTheOptionAsTyped() {
    String model = TestModels.identityModel().toString();
    assertOneLineError(run("--model", model, "--rest_api_timeout_in_ms", "0"), 2,
        "ServeMnist: --rest_api_timeout_in_ms must be at least 1, got 0");
    assertOneLineError(run("--model", model, "--request-timeout-ms", "0"), 2,
        "ServeMnist: --request-timeout-ms must be at least 1, got 0");
    assertOneLineError(run("--model_base_path", model, "--rest_api_port=-3"), 2,
        "--rest_api_port must be -1 (none) or in 0..65535, got -3");
    assertOneLineError(run("--model", model, "--rest-threads=0"), 2,
        "--rest-threads must be at least 1, got 0");
    assertOneLineError(run("--model", model, "--port=-1", "--grpc-port=-1"), 2,
        "--port -1 and --grpc-port -1: no port to serve on");
    assertOneLineError(run("--model", model, "--model_name=a:b"), 2,
        "--model_name: model name must be non-empty without / or :, got \"a:b\"");
    assertOneLineError(run("--model", model, "--no-metrics", "--monitoring_config_file=m"), 2,
        "--no-metrics and --monitoring_config_file are exclusive");
    assertOneLineError(run("--model", model, "--batching-parameters-file=b",
        "--max-batch-size=8"), 2, "--batching-parameters-file and --max-batch-size are exclusive");
    assertOneLineError(run("--model", model, "--no-batching", "--batching_parameters_file=b"), 2,
        "--no-batching and --batching_parameters_file are exclusive");
    assertOneLineError(run("--model", model, "--enable_batching=false",
        "--batching_parameters_file=b"), 2,
        "--enable_batching and --batching_parameters_file are exclusive");
  }

  @Test
  void batchingAndMonitoringFiles(@TempDir Path dir) throws IOException {
    Path batching = dir.resolve("batching.config");
    Files.writeString(batching, "max_batch_size { value: 8 }\nthread_pool_name { value: 'x' }\n");
    CliRun run = run("--model", dir.resolve("nope").toString(),
        "--batching_parameters_file=" + batching);
    assertEquals(List.of("ServeMnist: warning: " + batching + ": line 2: thread_pool_name:"
        + " ignored: the batch threads are this server's own",
        "ServeMnist: " + dir.resolve("nope") + ": no such directory"), run.err().lines().toList());
    Path monitoring = dir.resolve("monitoring.config");
    Files.writeString(monitoring, "prometheus_config { enable: true path: '/v1/metrics' }");
    assertOneLineError(run("--model", TestModels.identityModel().toString(),
        "--monitoring-config-file", monitoring.toString()), 1, monitoring
        + ": line 1: prometheus_config.path: must start with / and not with /v1/");
    String flat = run("--help").out().replaceAll("\\s+", " ");
    for (String expected : List.of("--port, --rest_api_port=PORT", "-1 for no REST",
        "TF Serving's --port is its gRPC port", "--batching-parameters-file,"
        + " --batching_parameters_file=FILE", "--monitoring-config-file, --monitoring_config_file",
        "--no-metrics", "--rest-threads, --rest_api_num_threads", "--grpc-threads,"
        + " --grpc_max_threads", "tensorflow_model_server")) {
      assertTrue(flat.contains(expected), expected + " missing from --help:\n" + flat);
    }
  }
}
