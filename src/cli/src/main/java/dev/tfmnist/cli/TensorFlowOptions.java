package dev.tfmnist.cli;

import dev.tfmnist.device.DeviceChoice;
import dev.tfmnist.device.DevicePlan;
import dev.tfmnist.device.NoGpuException;
import dev.tfmnist.device.Precision;
import dev.tfmnist.device.ThreadPools;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.UnregisteredOpException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options every program that runs TensorFlow shares, as a picocli mixin: where it runs, and
 * how much of TensorFlow's native log it shows.
 */
final class TensorFlowOptions {
  @Option(names = "--device", paramLabel = "auto|cpu|gpu", description = "Where to run: the GPU if TensorFlow sees one (auto), the CPU, or a GPU or an error (default: auto).")
  String device = "auto";

  @Option(names = "--list-devices", description = "Print the devices TensorFlow sees and where this program would run, then exit.")
  boolean listDevices;

  @Option(names = "--load-library", paramLabel = "FILE", description = "Load a custom-op library (a .so, e.g. tensorflow-text's) before the model; repeatable.")
  List<Path> libraries = new ArrayList<>();

  @Option(names = "--log-placement", description = "Log the device each op runs on (TensorFlow's log).")
  boolean logPlacement;

  @Option(names = "--tf-log", description = "Show TensorFlow's native log (also on when TF_CPP_MIN_LOG_LEVEL is set).")
  boolean tfLog;

  @Option(names = "--intra-op-threads", paramLabel = "N", description = "Threads one TensorFlow op may use, 0 for TensorFlow's choice, the core count (default: 0).")
  int intraOpThreads;

  @Option(names = "--inter-op-threads", paramLabel = "N", description = "TensorFlow ops run at once, 0 for TensorFlow's choice, the core count (default: 0).")
  int interOpThreads;

  @Option(names = "--precision", paramLabel = "float32|mixed_bfloat16", description = "The arithmetic: float32, the original's, or mixed_bfloat16, oneDNN's bfloat16 rewrite on CPUs that compute bfloat16 (avx512_bf16, amx_bf16); variables and exports stay float32 (default: float32).")
  String precision = "float32";

  /** The --precision value, checked: call it early, so a typo fails before any slow work. */
  Precision precision() {
    try {
      return Precision.parse(precision);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--precision must be float32 or mixed_bfloat16, got '" + precision + "'", e);
    }
  }

  /** The --device value, checked: call it early, so a typo fails before any slow work. */
  DeviceChoice choice() {
    try {
      return DeviceChoice.parse(device);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--device must be auto, cpu or gpu, got '" + device + "'", e);
    }
  }

  /** The thread pool options, checked. */
  ThreadPools threads() {
    return new ThreadPools(intraOpThreads, interOpThreads);
  }

  /** Quiets TensorFlow's log unless asked not to; must come before anything loads TensorFlow. */
  void configureLog() {
    NativeLog.configure(tfLog || logPlacement, threads());
  }

  /**
   * {@link #devices()}; with --list-devices the table goes to {@code out} instead and the result
   * is empty: the program has done what was asked.
   */
  Optional<DevicePlan> devicesUnlessListing(PrintWriter out) throws IOException {
    var plan = devices();
    if (!listDevices) {
      return Optional.of(plan);
    }
    out.print(plan.table());
    out.flush();
    return Optional.empty();
  }

  /** Loads {@code model} where {@code devices} says; an op it lacks is named with the option to fix it. */
  LoadedModel load(Path model, DevicePlan devices) throws IOException {
    try {
      return LoadedModel.loader(model).device(devices).load();
    } catch (UnregisteredOpException e) {
      throw new Cli.RunError(e.path() + ": uses the op " + e.op() + ", which this TensorFlow does "
          + "not have: load the library that defines it with --load-library FILE", e);
    }
  }

  /**
   * {@link #configureLog}, the custom-op libraries, then the devices TensorFlow sees with --device
   * applied.
   */
  DevicePlan devices() throws IOException {
    var choice = choice();
    var arithmetic = precision();
    configureLog();
    for (Path library : libraries) {
      LoadedModel.loadLibrary(library);
    }
    try {
      return DevicePlan.resolve(choice, logPlacement, threads()).withPrecision(arithmetic);
    } catch (NoGpuException e) {
      throw new Cli.RunError("--device gpu: " + e.getMessage()
          + (DevicePlan.gpuBuild() ? "" : "; mvn -Pgpu builds the programs with the CUDA build"), e);
    }
  }
}
