package dev.tfmnist.cli;

import static dev.tfmnist.cli.CliRun.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.server.ModelServer;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tensorflow_model_server's command line, in process: every TF Serving flag in each of its
 * spellings becomes the ServeMnist option it means, TF Serving's defaults apply, and every refusal
 * is one line and a non-zero exit before anything is served.
 */
class TensorFlowModelServerCliTest {
  private static final String BASE = "/models/mnist";

  private static CliRun run(String... args) {
    return CliRun.of(TensorFlowModelServer::run, args);
  }

  /** The ServeMnist that TF Serving's flags become, its options parsed. */
  private static ServeMnist served(String... args) {
    var translation = TensorFlowModelServer.translation(args);
    var quiet = new PrintWriter(PrintWriter.nullWriter());
    return ServeMnist.translatedFrom(translation.args(), TensorFlowModelServer.NAME,
        translation.flags(), quiet, quiet);
  }

  /** Each way TF Serving takes a flag with a value: --flag=value and --flag value. */
  private static void bothSpellings(String flag, String value, Consumer<ServeMnist> check) {
    for (List<String> spelling : List.of(List.of(flag + "=" + value), List.of(flag, value))) {
      var args = new ArrayList<>(spelling);
      if (!flag.equals("--model_base_path") && !flag.equals("--model_config_file")) {
        args.add("--model_base_path=" + BASE);
      }
      check.accept(served(args.toArray(String[]::new)));
    }
  }

  /** Each way TF Serving takes a boolean: --flag, --flag=true|false|1|0, and --flag true|false. */
  private static void booleanSpellings(String flag, Consumer<ServeMnist> whenTrue,
      Consumer<ServeMnist> whenFalse) {
    for (var spelling : List.of(List.of(flag), List.of(flag + "=true"), List.of(flag + "=1"),
        List.of(flag, "true"))) {
      whenTrue.accept(served(concat(spelling, "--model_base_path=" + BASE)));
    }
    for (var spelling : List.of(List.of(flag + "=false"), List.of(flag + "=0"),
        List.of(flag, "false"))) {
      whenFalse.accept(served(concat(spelling, "--model_base_path=" + BASE)));
    }
  }

  private static String[] concat(List<String> args, String more) {
    var all = new ArrayList<>(args);
    all.add(more);
    return all.toArray(String[]::new);
  }

  @Test
  void tensorFlowServingsDefaults() {
    ServeMnist serve = served("--model_base_path=" + BASE);
    assertEquals(Path.of(BASE), serve.model);
    assertEquals("default", serve.name);
    assertEquals(8500, serve.grpcPort, "gRPC on --port, 8500");
    assertEquals(-1, serve.port, "no REST without --rest_api_port");
    assertEquals("0.0.0.0", serve.host, "every address");
    assertTrue(serve.noBatching, "no batching without --enable_batching");
    assertTrue(serve.noMetrics, "no metrics without --monitoring_config_file");
    assertEquals(0, serve.configPollSeconds);
    assertEquals(1, serve.pollSeconds);
    assertEquals(30_000, serve.requestTimeoutMs);
    assertEquals(ModelServer.DEFAULT_WORKER_THREADS, serve.restThreads);
    assertEquals(0, serve.grpcThreads);
    assertEquals(List.of(), serve.corsAllowOrigins);
    assertFalse(serve.noWarmUp);
    assertFalse(serve.noUi, "the page is additive");
    assertEquals(0, serve.tensorFlow.intraOpThreads);
    assertEquals(0, serve.tensorFlow.interOpThreads);
  }

  @Test
  void everyFlagWithAValueInBothSpellings() {
    bothSpellings("--port", "9000", s -> assertEquals(9000, s.grpcPort));
    assertEquals(-1, served("--model_base_path=" + BASE, "--rest_api_port=8501", "--port=0")
        .grpcPort, "0: no gRPC, as TF Serving's help says");
    assertEquals(-1, served("--model_base_path=" + BASE, "--rest_api_port=8501", "--port", "0")
        .grpcPort);
    bothSpellings("--rest_api_port", "8501", s -> assertEquals(8501, s.port));
    bothSpellings("--mixed_precision", "bfloat16", s -> assertEquals(
        dev.tfmnist.device.Precision.MIXED_BFLOAT16, s.tensorFlow.precision()));
    assertEquals(dev.tfmnist.device.Precision.FLOAT32,
        served("--model_base_path=" + BASE).tensorFlow.precision(), "float32 unless asked");
    bothSpellings("--model_name", "digits", s -> assertEquals("digits", s.name));
    bothSpellings("--model_base_path", "/srv/m", s -> {
      assertEquals(Path.of("/srv/m"), s.model);
      assertNull(s.modelConfigFile);
    });
    bothSpellings("--model_config_file", "/etc/models.config", s -> {
      assertEquals(Path.of("/etc/models.config"), s.modelConfigFile);
      assertNull(s.model);
    });
    bothSpellings("--model_config_file_poll_wait_seconds", "30",
        s -> assertEquals(30, s.configPollSeconds));
    bothSpellings("--file_system_poll_wait_seconds", "5", s -> assertEquals(5, s.pollSeconds));
    bothSpellings("--rest_api_timeout_in_ms", "2500", s -> assertEquals(2500, s.requestTimeoutMs));
    bothSpellings("--rest_api_num_threads", "8", s -> assertEquals(8, s.restThreads));
    bothSpellings("--grpc_max_threads", "3", s -> assertEquals(3, s.grpcThreads));
    bothSpellings("--monitoring_config_file", "/etc/monitoring.config", s -> {
      assertEquals(Path.of("/etc/monitoring.config"), s.monitoringConfigFile);
      assertFalse(s.noMetrics);
    });
    bothSpellings("--tensorflow_intra_op_parallelism", "2", s -> {
      assertEquals(2, s.tensorFlow.intraOpThreads);
      assertEquals(0, s.tensorFlow.interOpThreads);
    });
    bothSpellings("--tensorflow_inter_op_parallelism", "3", s -> {
      assertEquals(0, s.tensorFlow.intraOpThreads);
      assertEquals(3, s.tensorFlow.interOpThreads);
    });
    bothSpellings("--tensorflow_session_parallelism", "4", s -> {
      assertEquals(4, s.tensorFlow.intraOpThreads, "both, as TF Serving");
      assertEquals(4, s.tensorFlow.interOpThreads);
    });
    bothSpellings("--host", "127.0.0.1", s -> assertEquals("127.0.0.1", s.host));
    // with --enable_batching, the batching parameters file
    var withFile = served("--model_base_path", BASE, "--enable_batching",
        "--batching_parameters_file", "/etc/batching.config");
    assertEquals(Path.of("/etc/batching.config"), withFile.batchingParametersFile);
    assertEquals(withFile.batchingParametersFile, served("--model_base_path=" + BASE,
        "--enable_batching=true", "--batching_parameters_file=/etc/batching.config")
        .batchingParametersFile);
    // the session parallelism only stands in for counts not given, as in TF Serving
    ServeMnist intraGiven = served("--model_base_path=" + BASE,
        "--tensorflow_session_parallelism=4", "--tensorflow_intra_op_parallelism=2");
    assertEquals(2, intraGiven.tensorFlow.intraOpThreads);
    assertEquals(0, intraGiven.tensorFlow.interOpThreads);
    // the last of a repeated flag counts, as in TF Serving
    assertEquals(9001, served("--model_base_path=" + BASE, "--port=9000", "--port", "9001")
        .grpcPort);
  }

  @Test
  void everyBooleanFlagInEachSpelling() {
    booleanSpellings("--enable_batching", s -> {
      assertFalse(s.noBatching);
      assertNull(s.batchingParametersFile, "ServeMnist's default batching");
    }, s -> assertTrue(s.noBatching));
    booleanSpellings("--rest_api_enable_cors_support",
        s -> assertEquals(List.of("*"), s.corsAllowOrigins),
        s -> assertEquals(List.of(), s.corsAllowOrigins));
    booleanSpellings("--enable_model_warmup", s -> assertFalse(s.noWarmUp),
        s -> assertTrue(s.noWarmUp));
  }

  @Test
  void badValuesAreOneLineNamingTheFlagAndTheValue() {
    String model = "--model_base_path=" + TestModels.tf1Model();
    assertOneLineError(run(model, "--port=http"), 2,
        "tensorflow_model_server: Invalid value for option '--port': 'http' is not an int");
    assertOneLineError(run(model, "--rest_api_port", "8501x"), 2,
        "Invalid value for option '--rest_api_port': '8501x' is not an int");
    assertOneLineError(run(model, "--port=70000"), 2,
        "tensorflow_model_server: --port must be -1 (none) or in 0..65535, got 70000");
    assertOneLineError(run(model, "--rest_api_port=-5"), 2,
        "--rest_api_port must be -1 (none) or in 0..65535, got -5");
    assertOneLineError(run(model, "--rest_api_port=8500"), 2,
        "--rest_api_port and --port must differ, got 8500 for both");
    assertOneLineError(run(model, "--port=0"), 2,
        "--port=0 and --rest_api_port=0: no port to serve on");
    assertOneLineError(run(model, "--mixed_precision=fp16"), 2,
        "--mixed_precision=fp16: TF Serving's only mixed precision is bfloat16");
    assertOneLineError(run(model, "--rest_api_timeout_in_ms=0"), 2,
        "--rest_api_timeout_in_ms must be at least 1, got 0");
    assertOneLineError(run(model, "--rest_api_num_threads=0"), 2,
        "--rest_api_num_threads must be at least 1, got 0");
    assertOneLineError(run(model, "--grpc_max_threads=-1"), 2,
        "--grpc_max_threads must be at least 0, got -1");
    assertOneLineError(run(model, "--file_system_poll_wait_seconds=-1"), 2,
        "poll intervals must be 0 or more, got --file_system_poll_wait_seconds -1");
    assertOneLineError(run(model, "--model_config_file_poll_wait_seconds=-1"), 2,
        "poll intervals must be 0 or more, got --model_config_file_poll_wait_seconds -1");
    assertOneLineError(run(model, "--tensorflow_inter_op_parallelism=-2"), 2,
        "--tensorflow_inter_op_parallelism: inter-op threads must be 0 (TensorFlow's choice) or"
            + " more, got -2");
    assertOneLineError(run(model, "--model_name=a/b"), 2,
        "--model_name: model name must be non-empty without / or :, got \"a/b\"");
    assertOneLineError(run(model, "--enable_batching=yes"), 2,
        "Invalid value for option '--enable_batching': 'yes' is not a boolean: expected true,"
            + " false, 1 or 0");
    assertOneLineError(run(model, "--tensorflow_session_parallelism=2",
        "--tensorflow_intra_op_parallelism=2", "--tensorflow_inter_op_parallelism=2"), 2,
        "--tensorflow_session_parallelism and --tensorflow_intra_op_parallelism with"
            + " --tensorflow_inter_op_parallelism are exclusive");
    assertOneLineError(run("--port=8500"), 2,
        "--model_base_path or --model_config_file is required");
    assertOneLineError(run(model, "--batching_parameters_file=/etc/batching.config"), 2,
        "--batching_parameters_file is set without --enable_batching");
  }

  @Test
  void flagsThatAreNotTensorFlowServingsAreRefused() {
    String model = "--model_base_path=" + TestModels.tf1Model();
    assertOneLineError(run(model, "--grpc_port=8500"), 2,
        "tensorflow_model_server: Unknown option: '--grpc_port=8500' (see --help)");
    // ServeMnist's spellings are not TF Serving's
    assertOneLineError(run("--model-config-file", "models.config"), 2,
        "Unknown options: '--model-config-file', 'models.config'");
    assertOneLineError(run(model, "--port", "8500", "extra"), 2, "'extra'");
  }

  @Test
  void tensorFlowServingFlagsNotImplementedHereAreRefused() {
    String model = "--model_base_path=" + TestModels.tf1Model();
    assertOneLineError(run(model, "--ssl_config_file=/etc/ssl.config"), 2,
        "tensorflow_model_server: --ssl_config_file=/etc/ssl.config: TF Serving's flag is not"
            + " implemented here: TLS is not implemented");
    assertOneLineError(run(model, "--grpc_socket_path", "/tmp/tfs.sock"), 2,
        "--grpc_socket_path=/tmp/tfs.sock: TF Serving's flag is not implemented here");
    assertOneLineError(run(model, "--use_alts_credentials"), 2,
        "--use_alts_credentials=true: TF Serving's flag is not implemented here");
    assertOneLineError(run(model, "--platform_config_file=/p"), 2, "--platform_config_file=/p");
    assertOneLineError(run(model, "--saved_model_tags=serve,gpu"), 2,
        "--saved_model_tags=serve,gpu: TF Serving's flag is not implemented here: only the"
            + " MetaGraph tagged serve is loaded");
    assertOneLineError(run(model, "--enable_grpc_healthcheck_service=true"), 2,
        "--enable_grpc_healthcheck_service=true");
    // refused before the warning of an ignored one: still one line
    assertOneLineError(run(model, "--num_load_threads=2", "--tensorflow_session_config_file=c"),
        2, "--tensorflow_session_config_file=c: TF Serving's flag is not implemented here");
  }

  @Test
  void flagsThatChangeNothingHereAreAcceptedWithAWarningEach() {
    // the run stops at a bad value after the warnings: nothing is served in process
    CliRun run = run("--model_base_path=" + TestModels.tf1Model(), "--num_load_threads=4",
        "--per_process_gpu_memory_fraction", "0.5", "--xla_cpu_compilation_enabled",
        "--enable_profiler=false", "--use_alts_credentials=false", "--ssl_config_file=",
        "--saved_model_tags=serve", "--rest_api_timeout_in_ms=0");
    assertEquals(List.of(
        "tensorflow_model_server: warning: --num_load_threads=4 is ignored: versions load one"
            + " after another",
        "tensorflow_model_server: warning: --per_process_gpu_memory_fraction=0.5 is ignored:"
            + " TensorFlow's GPU memory is its default",
        "tensorflow_model_server: warning: --xla_cpu_compilation_enabled=true is ignored: XLA is"
            + " TensorFlow's default",
        "tensorflow_model_server: warning: --enable_profiler=false is ignored: there is no"
            + " profiler service",
        "tensorflow_model_server: --rest_api_timeout_in_ms must be at least 1, got 0"),
        run.err().lines().toList(), "TF Serving's off values of unimplemented flags pass quietly");
    assertEquals(2, run.exitCode());
    CliRun ignoredName = run("--model_config_file=/nowhere/models.config",
        "--model_name=mnist", "--rest_api_timeout_in_ms=0");
    assertEquals("tensorflow_model_server: warning: --model_name is ignored:"
        + " --model_config_file names the models", ignoredName.err().lines().findFirst().get());
  }

  @Test
  void configFilesWithErrorsAreOneLineNamingTheFileAndTheLine(@TempDir Path dir)
      throws IOException {
    String model = "--model_base_path=" + TestModels.tf1Model();
    Path batching = dir.resolve("batching.config");
    Files.writeString(batching, "max_batch_size { value: 16 }\nnum_batch_threads { value: 0 }\n");
    assertOneLineError(run(model, "--enable_batching", "--batching_parameters_file=" + batching),
        1, "tensorflow_model_server: " + batching + ": line 2: num_batch_threads: batching"
            + " threads must be at least 1, got 0");
    Files.writeString(batching, "max_batch_size { value: 16 }\nbatch_timeout { value: 10 }\n");
    assertOneLineError(run(model, "--enable_batching", "--batching_parameters_file", 
        batching.toString()), 1, batching + ": line 2, column 1: ");
    assertOneLineError(run(model, "--enable_batching",
        "--batching_parameters_file=" + dir.resolve("none")), 1,
        dir.resolve("none") + ": cannot read the batching parameters file: no such file");
    Path monitoring = dir.resolve("monitoring.config");
    Files.writeString(monitoring, "prometheus_config {\n  enable: true\n  path: \"metrics\"\n}\n");
    assertOneLineError(run(model, "--rest_api_port=8501", "--monitoring_config_file=" + monitoring),
        1, monitoring + ": line 3: prometheus_config.path: must start with /");
    Files.writeString(monitoring, "prometheus_config {\n  enabled: true\n}\n");
    assertOneLineError(run(model, "--monitoring_config_file", monitoring.toString()), 1,
        monitoring + ": line 2, column 3: ");
    Path models = dir.resolve("models.config");
    Files.writeString(models, "model_config_list {\n  config { name: 'mnist' }\n}\n");
    assertOneLineError(run("--model_config_file=" + models), 1,
        models + ": config 1 (mnist): base_path is missing");
  }

  @Test
  void helpAndVersion() {
    CliRun help = run("--help");
    assertEquals(0, help.exitCode(), help.err());
    for (String flag : List.of("--port", "--rest_api_port", "--model_name", "--model_base_path",
        "--model_config_file", "--model_config_file_poll_wait_seconds",
        "--file_system_poll_wait_seconds", "--enable_batching", "--batching_parameters_file",
        "--rest_api_timeout_in_ms", "--rest_api_num_threads", "--monitoring_config_file",
        "--rest_api_enable_cors_support", "--grpc_max_threads", "--tensorflow_session_parallelism",
        "--tensorflow_intra_op_parallelism", "--tensorflow_inter_op_parallelism",
        "--enable_model_warmup", "--version", "--help")) {
      assertTrue(help.out().contains(flag), flag + " missing from --help:\n" + help.out());
    }
    assertFalse(help.out().contains("--num_load_threads"), "the ignored flags are not offered");
    CliRun version = run("--version");
    assertEquals(0, version.exitCode(), version.err());
    var lines = version.out().lines().toList();
    assertTrue(lines.get(0).startsWith("TensorFlow ModelServer: "), version.out());
    assertTrue(lines.get(1).startsWith("TensorFlow Library: 2."), version.out());
  }
}
