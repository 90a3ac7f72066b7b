package dev.tfmnist.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * TensorFlow Serving's command line, as its {@code tensorflow_model_server} takes it, for the
 * scripts, systemd units and Kubernetes manifests written for it: its flags, spelled as it spells
 * them ({@code --flag=value} or {@code --flag value}; booleans as {@code --flag} or {@code
 * --flag=true|false}), with its meanings and defaults. The flags are translated into {@link
 * ServeMnist}'s options, which serves them: gRPC on {@code --port} (8500), REST only with {@code
 * --rest_api_port}, no batching without {@code --enable_batching}, metrics only as {@code
 * --monitoring_config_file} says, the model config file read once unless {@code
 * --model_config_file_poll_wait_seconds}, every address listened on. A flag of TF Serving's that
 * this server does not implement is refused in one line, one that means nothing here and changes
 * no answer is accepted with one warning line, and a flag that is not TF Serving's is refused.
 */
@Command(
    name = TensorFlowModelServer.NAME,
    mixinStandardHelpOptions = true,
    versionProvider = TensorFlowModelServer.Version.class,
    sortOptions = false,
    description = {
      "TensorFlow Serving's tensorflow_model_server command line, served by ServeMnist:",
      "TF Serving's REST and gRPC APIs for SavedModels, new version directories served as",
      "they appear. Besides TF Serving's: a page to draw digits on at GET / and the probes",
      "GET /healthz and GET /readyz on the REST port. TF Serving's flags that this server",
      "does not implement are refused; those that change nothing here are accepted with",
      "a warning. SIGTERM or Ctrl-C lets the requests in flight finish and exits."
    })
public final class TensorFlowModelServer implements Callable<Integer> {
  static final String NAME = "tensorflow_model_server";

  @Option(names = "--port", paramLabel = "PORT", description = "gRPC port, 0 for no gRPC (default: ${DEFAULT-VALUE}).")
  int port = 8500;

  @Option(names = "--rest_api_port", paramLabel = "PORT", description = "REST port, 0 for no REST (default: ${DEFAULT-VALUE}).")
  int restApiPort;

  @Option(names = "--model_name", paramLabel = "NAME", description = "Name of the model of --model_base_path (default: ${DEFAULT-VALUE}).")
  String modelName = "default";

  @Option(names = "--model_base_path", paramLabel = "DIR", description = "Directory of numbered versions (or a SavedModel) to serve, unless --model_config_file.")
  Path modelBasePath;

  @Option(names = "--model_config_file", paramLabel = "FILE", description = "Serve the models of this ModelServerConfig in text format; --model_name and --model_base_path are then ignored.")
  Path modelConfigFile;

  @Option(names = "--model_config_file_poll_wait_seconds", paramLabel = "SECONDS", description = "How often the model config file is reread, 0 for never (default: ${DEFAULT-VALUE}).")
  int modelConfigFilePollWaitSeconds;

  @Option(names = "--file_system_poll_wait_seconds", paramLabel = "SECONDS", description = "How often base directories are checked for new versions, 0 for never (default: ${DEFAULT-VALUE}).")
  int fileSystemPollWaitSeconds = 1;

  @Option(names = "--enable_batching", arity = "0..1", paramLabel = "BOOL", fallbackValue = "true", converter = Cli.TfServingBoolean.class, description = "Batch concurrent requests (default: ${DEFAULT-VALUE}).")
  boolean enableBatching;

  @Option(names = "--batching_parameters_file", paramLabel = "FILE", description = "With --enable_batching: BatchingParameters in text format, e.g. max_batch_size { value: 16 } batch_timeout_micros { value: 1000 } max_enqueued_batches { value: 100 } num_batch_threads { value: 4 }.")
  Path batchingParametersFile;

  @Option(names = "--rest_api_timeout_in_ms", paramLabel = "MS", description = "A prediction not answered by then fails (default: ${DEFAULT-VALUE}).")
  int restApiTimeoutInMs = 30_000;

  @Option(names = "--rest_api_num_threads", paramLabel = "N", description = "Threads for REST requests (default: ServeMnist's --rest-threads).")
  Integer restApiNumThreads;

  @Option(names = "--rest_api_enable_cors_support", arity = "0..1", paramLabel = "BOOL", fallbackValue = "true", converter = Cli.TfServingBoolean.class, description = "Let web pages of any origin call the REST API (default: ${DEFAULT-VALUE}).")
  boolean restApiEnableCorsSupport;

  @Option(names = "--monitoring_config_file", paramLabel = "FILE", description = "MonitoringConfig in text format, e.g. prometheus_config { enable: true, path: \"/monitoring/prometheus/metrics\" }; without it, no metrics.")
  Path monitoringConfigFile;

  @Option(names = "--grpc_max_threads", paramLabel = "N", description = "gRPC calls run at once (default: as many as come).")
  Integer grpcMaxThreads;

  @Option(names = "--tensorflow_session_parallelism", paramLabel = "N", description = "Both the intra-op and the inter-op threads, unless one of those is given (default: ${DEFAULT-VALUE}, TensorFlow's choice).")
  int tensorflowSessionParallelism;

  @Option(names = "--tensorflow_intra_op_parallelism", paramLabel = "N", description = "Threads one op may use (default: ${DEFAULT-VALUE}, TensorFlow's choice).")
  int tensorflowIntraOpParallelism;

  @Option(names = "--tensorflow_inter_op_parallelism", paramLabel = "N", description = "Ops run at once (default: ${DEFAULT-VALUE}, TensorFlow's choice).")
  int tensorflowInterOpParallelism;

  @Option(names = "--enable_model_warmup", arity = "0..1", paramLabel = "BOOL", fallbackValue = "true", converter = Cli.TfServingBoolean.class, description = "Run each version on zeros before it serves (default: ${DEFAULT-VALUE}; TF Serving replays assets.extra/tf_serving_warmup_requests instead).")
  boolean enableModelWarmup = true;

  @Option(names = "--mixed_precision", paramLabel = "bfloat16", description = "bfloat16: oneDNN's bfloat16 rewrite on CPUs that compute bfloat16 (ServeMnist's --precision mixed_bfloat16); default: float32.")
  String mixedPrecision;

  @Option(names = "--host", paramLabel = "HOST", description = "Not TF Serving's: the address to listen on (default: ${DEFAULT-VALUE}, every address, as TF Serving).")
  String host = "0.0.0.0";

  @Spec CommandSpec spec;

  private PrintWriter out;
  private PrintWriter err;

  /** A TF Serving flag that is not one of the options above: its name, kind and fate here. */
  private record OtherFlag(String name, boolean bool, Set<String> harmless, String why) {
    /** Refused unless given one of the values that mean "off" (TF Serving's defaults). */
    static OtherFlag unimplemented(String name, boolean bool, String why, String... harmless) {
      return new OtherFlag(name, bool, Set.of(harmless), why);
    }

    /** Accepted, whatever its value, with a warning. */
    static OtherFlag ignored(String name, boolean bool, String why) {
      return new OtherFlag(name, bool, null, why);
    }

    String option() {
      return "--" + name;
    }
  }

  private static final String RETRIES = "a version that fails to load is tried 5 more times,"
      + " a minute apart, TF Serving's defaults";
  private static final boolean BOOL = true;
  private static final boolean VALUE = false;

  /** TF Serving's other flags (tensorflow_serving/model_servers/main.cc), by what is done here. */
  private static final List<OtherFlag> OTHER_FLAGS = List.of(
      OtherFlag.unimplemented("grpc_socket_path", VALUE,
          "gRPC on a UNIX socket is not implemented: use --port", ""),
      OtherFlag.unimplemented("ssl_config_file", VALUE,
          "TLS is not implemented: put a TLS proxy in front of --port", ""),
      OtherFlag.unimplemented("use_alts_credentials", BOOL, "ALTS is not implemented", "false"),
      OtherFlag.unimplemented("platform_config_file", VALUE,
          "only TensorFlow SavedModels are served, without a platform config", ""),
      OtherFlag.unimplemented("tensorflow_session_config_file", VALUE,
          "a session ConfigProto is not read: use --tensorflow_intra_op_parallelism and"
              + " --tensorflow_inter_op_parallelism", ""),
      OtherFlag.unimplemented("thread_pool_factory_config_file", VALUE,
          "custom thread pools are not implemented", ""),
      OtherFlag.unimplemented("saved_model_tags", VALUE,
          "only the MetaGraph tagged serve is loaded", "", "serve"),
      OtherFlag.unimplemented("enable_grpc_healthcheck_service", BOOL,
          "the gRPC health service is not implemented: probe GET /healthz and GET /readyz on"
              + " --rest_api_port", "false"),
      OtherFlag.ignored("enable_per_model_batching_parameters", BOOL,
          "batching_params.pbtxt in the SavedModel is not read; --batching_parameters_file"
              + " applies to every model"),
      OtherFlag.ignored("allow_version_labels_for_unavailable_models", BOOL,
          "labels may name versions not loaded yet here anyway"),
      OtherFlag.ignored("num_load_threads", VALUE, "versions load one after another"),
      OtherFlag.ignored("num_unload_threads", VALUE, "versions unload one after another"),
      OtherFlag.ignored("max_num_load_retries", VALUE, RETRIES),
      OtherFlag.ignored("load_retry_interval_micros", VALUE, RETRIES),
      OtherFlag.ignored("flush_filesystem_caches", BOOL, "the JVM keeps no such cache"),
      OtherFlag.ignored("per_process_gpu_memory_fraction", VALUE,
          "TensorFlow's GPU memory is its default"),
      OtherFlag.ignored("remove_unused_fields_from_bundle_metagraph", BOOL,
          "the MetaGraph is TensorFlow Java's to keep"),
      OtherFlag.ignored("prefer_tflite_model", BOOL, "the TensorFlow model is served"),
      OtherFlag.ignored("num_tflite_pools", VALUE, "no TensorFlow Lite model is served"),
      OtherFlag.ignored("num_tflite_interpreters_per_pool", VALUE,
          "no TensorFlow Lite model is served"),
      OtherFlag.ignored("enable_signature_method_name_check", BOOL,
          "signatures are served whatever their method name"),
      OtherFlag.ignored("xla_cpu_compilation_enabled", BOOL, "XLA is TensorFlow's default"),
      OtherFlag.ignored("xla_gpu_compilation_enabled", BOOL, "XLA is TensorFlow's default"),
      OtherFlag.ignored("enable_profiler", BOOL, "there is no profiler service"),
      OtherFlag.ignored("skip_initialize_tpu", BOOL, "there is no TPU"),
      OtherFlag.ignored("num_request_iterations_for_warmup", VALUE,
          "the warm-up runs each batch size once"),
      OtherFlag.ignored("enable_serialization_as_tensor_content", BOOL,
          "responses encode tensors as this server does; clients read both forms"),
      OtherFlag.ignored("grpc_channel_arguments", VALUE, "gRPC runs with its defaults"));

  @Override
  public Integer call() throws Exception {
    var warnings = otherFlags();
    Translation translation = translate();
    warnings.forEach(this::warn);
    return ServeMnist.translatedFrom(translation.args(), NAME, translation.flags(), out, err)
        .call();
  }

  /**
   * Refuses the other flags of TF Serving's that this server does not implement.
   *
   * @return a warning for each ignored flag given
   */
  private List<String> otherFlags() {
    var parsed = spec.commandLine().getParseResult();
    var warnings = new ArrayList<String>();
    for (OtherFlag flag : OTHER_FLAGS) {
      if (!parsed.hasMatchedOption(flag.option())) {
        continue;
      }
      String value = String.valueOf((Object) parsed.matchedOptionValue(flag.option(), null));
      String given = flag.option() + "=" + value;
      if (flag.harmless() == null) {
        warnings.add(given + " is ignored: " + flag.why());
      } else if (!flag.harmless().contains(value)) {
        throw new ParameterException(spec.commandLine(), given
            + ": TF Serving's flag is not implemented here: " + flag.why());
      }
    }
    if (modelConfigFile != null) {
      for (String ignored : List.of("--model_name", "--model_base_path")) {
        if (parsed.hasMatchedOption(ignored)) {
          warnings.add(ignored + " is ignored: --model_config_file names the models");
        }
      }
    }
    return warnings;
  }

  /**
   * ServeMnist's command line for TF Serving's.
   *
   * @param args ServeMnist's options
   * @param flags for each ServeMnist option in {@code args}, the flag it came from
   */
  record Translation(List<String> args, Map<String, String> flags) {
    Translation {
      args = List.copyOf(args);
      flags = Map.copyOf(flags);
    }
  }

  /** A translation being written. */
  private static final class Options {
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> flags = new LinkedHashMap<>();

    /**
     * ServeMnist's {@code option}, with {@code value} unless null (attached, so that a value
     * starting with - stays a value), from TF Serving's {@code flag}.
     */
    void add(String option, Object value, String flag) {
      args.add(value == null ? option : option + "=" + value);
      flags.put(option, flag);
    }
  }

  /** The flags as ServeMnist's options, TF Serving's defaults and rules applied. */
  Translation translate() {
    var serve = new Options();
    serve.add("--host", host, "--host");
    if (port == 0 && restApiPort == 0) {
      throw new ParameterException(spec.commandLine(), "--port=0 and --rest_api_port=0: no port"
          + " to serve on; --port is gRPC's (default 8500), --rest_api_port REST's");
    }
    serve.add("--grpc-port", port == 0 ? -1 : port, "--port");
    serve.add("--port", restApiPort == 0 ? -1 : restApiPort, "--rest_api_port");
    if (modelConfigFile != null) {
      serve.add("--model-config-file", modelConfigFile, "--model_config_file");
    } else if (modelBasePath != null) {
      serve.add("--model", modelBasePath, "--model_base_path");
      serve.add("--name", modelName, "--model_name");
    } else {
      throw new ParameterException(spec.commandLine(),
          "--model_base_path or --model_config_file is required");
    }
    serve.add("--model-config-file-poll-wait-seconds", modelConfigFilePollWaitSeconds,
        "--model_config_file_poll_wait_seconds");
    serve.add("--file-system-poll-wait-seconds", fileSystemPollWaitSeconds,
        "--file_system_poll_wait_seconds");
    if (enableBatching) {
      if (batchingParametersFile != null) {
        serve.add("--batching-parameters-file", batchingParametersFile,
            "--batching_parameters_file");
      }
    } else if (batchingParametersFile != null) {
      throw new ParameterException(spec.commandLine(),
          "--batching_parameters_file is set without --enable_batching");
    } else {
      serve.add("--no-batching", null, "--enable_batching=false");
    }
    serve.add("--request-timeout-ms", restApiTimeoutInMs, "--rest_api_timeout_in_ms");
    if (restApiNumThreads != null) {
      serve.add("--rest-threads", restApiNumThreads, "--rest_api_num_threads");
    }
    if (grpcMaxThreads != null) {
      serve.add("--grpc-threads", grpcMaxThreads, "--grpc_max_threads");
    }
    if (restApiEnableCorsSupport) {
      serve.add("--cors-allow-origin", "*", "--rest_api_enable_cors_support");
    }
    if (monitoringConfigFile != null) {
      serve.add("--monitoring-config-file", monitoringConfigFile, "--monitoring_config_file");
    } else {
      serve.add("--no-metrics", null, "--monitoring_config_file");
    }
    threads(serve);
    if (mixedPrecision != null) {
      if (!mixedPrecision.equals("bfloat16")) {
        throw new ParameterException(spec.commandLine(), "--mixed_precision=" + mixedPrecision
            + ": TF Serving's only mixed precision is bfloat16");
      }
      serve.add("--precision", "mixed_bfloat16", "--mixed_precision");
    }
    if (!enableModelWarmup) {
      serve.add("--no-warm-up", null, "--enable_model_warmup=false");
    }
    return new Translation(serve.args, serve.flags);
  }

  /** TF Serving's rule: the session parallelism is both counts unless one of them is given. */
  private void threads(Options serve) {
    if (tensorflowIntraOpParallelism > 0 && tensorflowInterOpParallelism > 0
        && tensorflowSessionParallelism > 0) {
      throw new ParameterException(spec.commandLine(), "--tensorflow_session_parallelism and"
          + " --tensorflow_intra_op_parallelism with --tensorflow_inter_op_parallelism are"
          + " exclusive: give one or the other");
    }
    if (tensorflowIntraOpParallelism == 0 && tensorflowInterOpParallelism == 0
        && tensorflowSessionParallelism > 0) {
      serve.add("--intra-op-threads", tensorflowSessionParallelism,
          "--tensorflow_session_parallelism");
      serve.add("--inter-op-threads", tensorflowSessionParallelism,
          "--tensorflow_session_parallelism");
    } else {
      serve.add("--intra-op-threads", tensorflowIntraOpParallelism,
          "--tensorflow_intra_op_parallelism");
      serve.add("--inter-op-threads", tensorflowInterOpParallelism,
          "--tensorflow_inter_op_parallelism");
    }
  }

  private void warn(String warning) {
    err.println(NAME + ": warning: " + warning);
    err.flush();
  }

  /** What --version prints, in TF Serving's words. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return new String[] {
        "TensorFlow ModelServer: " + Cli.Version.project() + " (tf-java-mnist, ServeMnist)",
        "TensorFlow Library: " + Cli.Version.tensorFlow()
      };
    }
  }

  public static void main(String[] args) {
    Cli.routeLibraryLogs();
    System.exit(run(args, new PrintWriter(System.out, true),
        new PrintWriter(NativeLog.systemErr(), true)));
  }

  /** Runs the command with the given streams and returns the exit code; main() is this plus exit. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return commandLine(out, err).execute(args);
  }

  /**
   * The command line with TF Serving's other flags known, and TF Serving's rule that the last of
   * a repeated flag counts.
   */
  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    var command = new TensorFlowModelServer();
    command.out = out;
    command.err = err;
    var commandLine = Cli.commandLine(command, out, err);
    commandLine.setOverwrittenOptionsAllowed(true);
    for (OtherFlag flag : OTHER_FLAGS) {
      var option = OptionSpec.builder(flag.option()).hidden(true);
      if (flag.bool()) {
        option.arity("0..1").type(Boolean.class).converters(new Cli.TfServingBoolean())
            .fallbackValue("true");
      } else {
        option.arity("1").type(String.class);
      }
      commandLine.getCommandSpec().addOption(option.build());
    }
    return commandLine;
  }

  /**
   * ServeMnist's command line for TF Serving's, for the tests: what {@link #call} would serve.
   *
   * @param args TF Serving's flags
   * @return the translation
   * @throws ParameterException if a flag or value is refused
   */
  static Translation translation(String... args) {
    var commandLine = commandLine(new PrintWriter(PrintWriter.nullWriter()),
        new PrintWriter(PrintWriter.nullWriter()));
    commandLine.parseArgs(args);
    TensorFlowModelServer command = commandLine.getCommand();
    command.otherFlags();
    return command.translate();
  }
}
