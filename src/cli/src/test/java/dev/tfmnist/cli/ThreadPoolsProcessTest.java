package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.device.DeviceChoice;
import dev.tfmnist.device.DevicePlan;
import dev.tfmnist.device.ThreadPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The thread options reach TensorFlow's process-wide pools although the device listing (and the
 * quiet-log session, where NativeLog cannot quiet for good and runs one) make sessions before the
 * program's own. Each count runs in a fresh JVM, since the pools are made once per process.
 */
class ThreadPoolsProcessTest {

  /** Child JVM: what a program does at start, then one matmul; prints its unnamed threads. */
  public static void main(String[] args) throws IOException {
    var pools = new ThreadPools(Integer.parseInt(args[0]), Integer.parseInt(args[0]));
    NativeLog.configure(false, pools);
    var plan = DevicePlan.resolve(DeviceChoice.CPU, false, pools);
    try (var graph = new Graph()) {
      var tf = Ops.create(graph);
      var m = tf.random.randomUniform(tf.constant(new long[] {256, 256}), TFloat32.class);
      try (var session = new Session(graph, plan.sessionConfig());
          var result = session.runner().fetch(tf.linalg.matMul(m, m)).run()) {
        // TensorFlow's pool threads keep the JVM's default name for native threads, "java"
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
          long count = tasks.filter(task -> {
            try {
              return Files.readString(task.resolve("comm")).strip().equals("java");
            } catch (IOException gone) {
              return false;
            }
          }).count();
          System.out.println(count);
        }
      }
    }
  }

  private static long unnamedThreads(int poolSize) throws Exception {
    var builder = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        ThreadPoolsProcessTest.class.getName(), Integer.toString(poolSize)))
        .redirectErrorStream(true);
    builder.environment().remove(NativeLog.LEVEL_VARIABLE);  // so NativeLog quiets, as in a program
    var process = builder.start();
    String out = new String(process.getInputStream().readAllBytes()).strip();
    assertTrue(process.waitFor(2, TimeUnit.MINUTES), "child JVM did not finish");
    assertEquals(0, process.exitValue(), out);
    return Long.parseLong(out.lines().reduce((a, b) -> b).orElseThrow());
  }

  @Test
  void intraAndInterOpThreadsReachTheProcessWidePools() throws Exception {
    long one = unnamedThreads(1);
    long six = unnamedThreads(6);
    // 5 more intra-op and 5 more inter-op threads; a margin for the JVM's own
    assertTrue(six - one >= 8, "1 thread per pool: " + one + " threads, 6 per pool: " + six);
  }
}
