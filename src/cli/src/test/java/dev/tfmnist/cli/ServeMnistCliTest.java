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
    assertOneLineError(run("--model", model, "--port", "70000"), 2, "port must be in 0..65535, got 70000");
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
}
