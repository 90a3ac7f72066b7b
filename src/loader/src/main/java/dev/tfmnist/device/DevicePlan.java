package dev.tfmnist.device;

import static org.tensorflow.internal.c_api.global.tensorflow.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.TensorFlow;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;

/**
 * Where a session will run, decided once: the devices TensorFlow sees, the one the user's choice
 * lands on, and the session configuration that makes it so. GPU memory grows as needed rather than
 * being taken whole at start, so a served model and a training run can share a card.
 *
 * <p>A plan is immutable; {@link dev.tfmnist.loader.ModelLoader#device(DevicePlan)} loads a model
 * with its {@link #sessionConfig()}.
 *
 * @param choice what the user asked for
 * @param visible the devices TensorFlow saw when the plan was resolved, in its order
 * @param onGpu whether sessions made with this plan run on a GPU; false means GPUs are hidden
 * @param note why the plan runs on the CPU where a GPU was hoped for ({@link DeviceChoice#AUTO} on
 *     the GPU build with no GPU visible); empty otherwise
 * @param logPlacement whether sessions log the device of every op (TensorFlow's {@code
 *     log_device_placement}, written to the native log on stderr)
 * @param threads the CPU thread pools of sessions made with this plan
 * @param precision the arithmetic of sessions made with this plan; {@link Precision#FLOAT32} unless
 *     {@link #withPrecision} says otherwise
 */
public record DevicePlan(DeviceChoice choice, List<DeviceInfo> visible, boolean onGpu,
    Optional<String> note, boolean logPlacement, ThreadPools threads, Precision precision) {

  /**
   * This plan computing in {@code precision}.
   *
   * @param precision the arithmetic of sessions made with the plan
   * @return a new plan, the same in every other respect
   */
  public DevicePlan withPrecision(Precision precision) {
    return new DevicePlan(choice, visible, onGpu, note, logPlacement, threads,
        java.util.Objects.requireNonNull(precision, "precision"));
  }

  /**
   * Whether the CUDA build of TensorFlow's natives (tensorflow-core-native, classifier {@code
   * linux-x86_64-gpu}; the -Pgpu profile) is on the classpath. Looks for a resource only; it
   * neither loads TensorFlow nor checks for a GPU.
   *
   * @return true for the GPU build, false for the CPU build
   */
  public static boolean gpuBuild() {
    return DevicePlan.class.getClassLoader()
        .getResource("org/tensorflow/internal/c_api/linux-x86_64-gpu/LICENSE") != null;
  }

  /**
   * Lists the devices and applies {@code choice}, with TensorFlow's default thread pools.
   *
   * <p>Listing the devices loads TensorFlow's native library and opens (and closes) a session. If
   * it is the process's first session, it fixes the process-wide thread pools to TensorFlow's
   * defaults: a program that sets them uses {@link #resolve(DeviceChoice, boolean, ThreadPools)}.
   *
   * @param choice where to run
   * @param logPlacement whether sessions made with the plan log the device of every op
   * @return the plan
   * @throws NoGpuException for {@link DeviceChoice#GPU} when no GPU is visible
   * @throws org.tensorflow.exceptions.TensorFlowException if TensorFlow cannot list its devices
   */
  public static DevicePlan resolve(DeviceChoice choice, boolean logPlacement) {
    return resolve(choice, logPlacement, ThreadPools.DEFAULT);
  }

  /**
   * Lists the devices and applies {@code choice}; sessions made from this plan use {@code
   * threads} (the device listing's session too, see {@link ThreadPools}).
   *
   * <p>With {@link DeviceChoice#AUTO} the plan runs on a GPU when one is visible; on the GPU build
   * without a visible GPU it runs on the CPU with a {@link #note()} saying why.
   *
   * @param choice where to run
   * @param logPlacement whether sessions made with the plan log the device of every op
   * @param threads the thread pools of the device listing's session and of sessions made with
   *     the plan
   * @return the plan
   * @throws NoGpuException for {@link DeviceChoice#GPU} when no GPU is visible
   * @throws org.tensorflow.exceptions.TensorFlowException if TensorFlow cannot list its devices
   */
  public static DevicePlan resolve(DeviceChoice choice, boolean logPlacement, ThreadPools threads) {
    var visible = listDevices(threads);
    boolean gpuVisible = visible.stream().anyMatch(DeviceInfo::isGpu);
    return switch (choice) {
      case CPU -> new DevicePlan(choice, visible, false, Optional.empty(), logPlacement, threads,
          Precision.FLOAT32);
      case GPU -> {
        if (!gpuVisible) {
          throw new NoGpuException("TensorFlow sees no GPU: " + likelyCause());
        }
        yield new DevicePlan(choice, visible, true, Optional.empty(), logPlacement, threads,
            Precision.FLOAT32);
      }
      // On the CPU build the CPU is what the user chose; on the GPU build it needs a reason.
      case AUTO -> new DevicePlan(choice, visible, gpuVisible, gpuVisible || !gpuBuild()
          ? Optional.empty()
          : Optional.of("no GPU visible: " + likelyCause()),
          logPlacement, threads, Precision.FLOAT32);
    };
  }

  /**
   * Session options for this plan: its thread pools, precision and placement logging, soft placement (ops
   * without a GPU kernel run on the CPU), GPU memory allocated as it is needed, and for a CPU plan
   * no GPU at all.
   *
   * @return a new config, for {@link dev.tfmnist.loader.ModelLoader#sessionConfig}
   */
  public ConfigProto sessionConfig() {
    var config = precision.applyTo(threads.applyTo(ConfigProto.newBuilder()))
        .setLogDevicePlacement(logPlacement)
        .setAllowSoftPlacement(true)  // ops without a GPU kernel fall back to the CPU
        .setGpuOptions(GPUOptions.newBuilder().setAllowGrowth(true));
    if (!onGpu) {
      config.putDeviceCount("GPU", 0);  // hides GPUs, so nothing lands there by default placement
    }
    return config.build();
  }

  /**
   * One line: where the model runs, on which build of TensorFlow, in which precision (see {@link
   * Precision#describe}), and why not on a GPU where one was hoped for, e.g. {@code Running on: CPU
   * (TensorFlow 2.18.0, CPU build, float32)}. A GPU is named by its full device name.
   *
   * @return the line, ending with a line break
   */
  public String summary() {
    return "Running on: " + (onGpu ? gpuName() : "CPU") + " (TensorFlow " + TensorFlow.version()
        + ", " + (gpuBuild() ? "GPU" : "CPU") + " build, " + precision.describe(onGpu) + ")"
        + note.map(n -> "; " + n).orElse("")
        + "\n";
  }

  /**
   * Every device TensorFlow sees, one {@link DeviceInfo#row()} a line under a heading, then the
   * {@link #summary} line (what the programs' {@code --list-devices} prints).
   *
   * @return the table, ending with a line break
   */
  public String table() {
    var text = new StringBuilder("Devices TensorFlow sees:\n");
    visible.forEach(device -> text.append(device.row()).append('\n'));
    return text.append(summary()).toString();
  }

  private String gpuName() {
    return visible.stream().filter(DeviceInfo::isGpu).findFirst().map(DeviceInfo::name).orElse("GPU");
  }

  /** Why a GPU is not visible, in the order a user should check. */
  static String likelyCause() {
    if (!gpuBuild()) {
      return "TensorFlow's natives on the classpath are the CPU-only build "
          + "(tensorflow-core-platform); a GPU needs the CUDA build, tensorflow-core-native with "
          + "the classifier linux-x86_64-gpu";
    }
    if (!Files.exists(Path.of("/dev/nvidiactl")) && !libraryLoads("libcuda.so.1")) {
      return "no NVIDIA driver found (no /dev/nvidiactl, no libcuda.so.1)";
    }
    return "the NVIDIA driver is there but TensorFlow 2.18 could not use it: it needs the CUDA 12 "
        + "(12.5) and cuDNN 9 (9.3) libraries on the library path";
  }

  private static boolean libraryLoads(String library) {
    for (String dir : List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
        "/usr/local/nvidia/lib64", "/usr/local/cuda/lib64")) {
      if (Files.exists(Path.of(dir, library))) {
        return true;
      }
    }
    return false;
  }

  /** The devices a session with default options would see, through TensorFlow's C API. */
  static List<DeviceInfo> listDevices(ThreadPools threads) {
    TensorFlow.version();  // loads the native library
    var devices = new ArrayList<DeviceInfo>();
    try (var scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      var graph = TF_NewGraph();
      var options = TF_NewSessionOptions();
      byte[] config = threads.applyTo(ConfigProto.newBuilder())
          .setGpuOptions(GPUOptions.newBuilder().setAllowGrowth(true)).build().toByteArray();
      TF_SetConfig(options, new BytePointer(config), config.length, status);
      status.throwExceptionIfNotOK();
      var session = TF_NewSession(graph, options, status);
      status.throwExceptionIfNotOK();
      try {
        var list = TF_SessionListDevices(session, status);
        status.throwExceptionIfNotOK();
        try {
          for (int i = 0; i < TF_DeviceListCount(list); i++) {
            devices.add(new DeviceInfo(TF_DeviceListName(list, i, status).getString(),
                TF_DeviceListType(list, i, status).getString(),
                TF_DeviceListMemoryBytes(list, i, status)));
            status.throwExceptionIfNotOK();
          }
        } finally {
          TF_DeleteDeviceList(list);
        }
      } finally {
        TF_CloseSession(session, status);
        TF_DeleteSession(session, status);
        TF_DeleteSessionOptions(options);
        TF_DeleteGraph(graph);
      }
    }
    return List.copyOf(devices);
  }
}
