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
        "--batch-timeout-micros", "--no-batching", "--max-request-bytes")) {
      assertTrue(help.out().contains(option), option + " missing from --help");
    }
    // each serving option names what a TF Serving user would set instead
    String flat = help.out().replaceAll("\\s+", " ");
    for (String equivalent : List.of("TF Serving: --model_base_path", "TF Serving: --model_name",
        "TF Serving: --rest_api_port", "TF Serving: max_batch_size in --batching_parameters_file",
        "TF Serving: batch_timeout_micros", "TF Serving: num_batch_threads",
        "it batches with --enable_batching")) {
      assertTrue(flat.contains(equivalent), equivalent + " missing from --help:\n" + help.out());
    }
  }
}
