package dev.tfmnist.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Runs against whichever TensorFlow build is on the classpath: the CPU default, or the CUDA build
 * with -Pgpu. On a machine with a usable GPU the GPU cases check that it is used instead.
 */
class DevicePlanTest {
  private static final boolean GPU_VISIBLE =
      DevicePlan.listDevices(ThreadPools.DEFAULT).stream().anyMatch(DeviceInfo::isGpu);

  @Test
  void listsTheCpuAndSaysWhichBuildThisIs() {
    var plan = DevicePlan.resolve(DeviceChoice.CPU, false);
    assertTrue(plan.visible().stream().anyMatch(d -> d.type().equals("CPU")), plan.visible().toString());
    assertFalse(plan.onGpu());
    String build = DevicePlan.gpuBuild() ? "GPU" : "CPU";
    assertEquals("Running on: CPU (TensorFlow 2.18.0, " + build + " build, float32)\n", plan.summary());
    var mixed = plan.withPrecision(Precision.MIXED_BFLOAT16);
    assertEquals("Running on: CPU (TensorFlow 2.18.0, " + build + " build, "
        + Precision.MIXED_BFLOAT16.describe(false) + ")\n", mixed.summary());
    assertEquals(Precision.MIXED_BFLOAT16.applyTo(plan.sessionConfig().toBuilder()).build(),
        mixed.sessionConfig(), "the plan's session config carries its precision");
    var table = plan.table();
    assertTrue(table.startsWith("Devices TensorFlow sees:\n  CPU:0    CPU  host memory\n"), table);
    assertTrue(table.endsWith("\n" + plan.summary()), table);
  }

  @Test
  void cpuChoiceHidesGpusAndEveryPlanGrowsGpuMemoryOnDemand() {
    var config = DevicePlan.resolve(DeviceChoice.CPU, false, new ThreadPools(2, 1)).sessionConfig();
    assertEquals(0, config.getDeviceCountOrThrow("GPU"));
    assertTrue(config.getGpuOptions().getAllowGrowth());
    assertEquals(2, config.getIntraOpParallelismThreads());
    assertEquals(1, config.getInterOpParallelismThreads());
    assertTrue(config.getAllowSoftPlacement());
    assertTrue(DevicePlan.resolve(DeviceChoice.CPU, true).sessionConfig().getLogDevicePlacement());
  }

  @Test
  void autoFallsBackToTheCpuSayingWhyOnlyOnTheGpuBuild() {
    var plan = DevicePlan.resolve(DeviceChoice.AUTO, false);
    assertEquals(GPU_VISIBLE, plan.onGpu());
    if (!GPU_VISIBLE) {
      assertFalse(plan.sessionConfig().getDeviceCountMap().isEmpty(), "GPUs not hidden");
      if (DevicePlan.gpuBuild()) {
        var note = plan.note().orElseThrow();
        assertTrue(note.startsWith("no GPU visible: "), note);
        assertTrue(plan.summary().startsWith("Running on: CPU (TensorFlow 2.18.0, GPU build, float32); "
            + note), plan.summary());
        assertEquals(1, plan.summary().lines().count(), plan.summary());
      } else {
        assertEquals(Optional.empty(), plan.note(), "the CPU build is the user's choice");
      }
    }
  }

  @Test
  void gpuChoiceWithoutAGpuNamesTheLikelyCause() {
    if (GPU_VISIBLE) {
      assertTrue(DevicePlan.resolve(DeviceChoice.GPU, false).onGpu());
      return;
    }
    var error = assertThrows(NoGpuException.class, () -> DevicePlan.resolve(DeviceChoice.GPU, false));
    String expectedCause = DevicePlan.gpuBuild()
        ? "NVIDIA driver"  // this machine: the CUDA build, no driver
        : "the CPU-only build (tensorflow-core-platform); a GPU needs the CUDA build";
    assertTrue(error.getMessage().startsWith("TensorFlow sees no GPU: "), error.getMessage());
    assertTrue(error.getMessage().contains(expectedCause), error.getMessage());
  }

  @Test
  void deviceChoiceParsing() {
    assertEquals(DeviceChoice.GPU, DeviceChoice.parse("GPU"));
    assertEquals(DeviceChoice.AUTO, DeviceChoice.parse("auto"));
    var error = assertThrows(IllegalArgumentException.class, () -> DeviceChoice.parse("tpu"));
    assertEquals("a device must be auto, cpu or gpu, got 'tpu'", error.getMessage());
  }
}
