package dev.tfmnist.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.RewriterConfig;

class PrecisionTest {

  @Test
  void namesParseEitherCaseAndAnythingElseIsNamed() {
    assertEquals(Precision.FLOAT32, Precision.parse("float32"));
    assertEquals(Precision.MIXED_BFLOAT16, Precision.parse("MIXED_BFLOAT16"));
    var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("bfloat16"));
    assertEquals("precision must be float32 or mixed_bfloat16, got 'bfloat16'", e.getMessage());
  }

  @Test
  void mixedBfloat16TurnsOnOneDnnsRewriteAndFloat32LeavesTheConfigAsItWas() {
    var base = new ThreadPools(2, 1).sessionConfig();
    var mixed = Precision.MIXED_BFLOAT16.applyTo(base.toBuilder()).build();
    assertEquals(RewriterConfig.Toggle.ON,
        mixed.getGraphOptions().getRewriteOptions().getAutoMixedPrecisionOnednnBfloat16());
    assertEquals(2, mixed.getIntraOpParallelismThreads(), "other fields kept");
    assertEquals(base, Precision.FLOAT32.applyTo(base.toBuilder()).build());
    assertFalse(Precision.FLOAT32.applyTo(ConfigProto.newBuilder()).hasGraphOptions());
  }

  @Test
  void theCpuFlagsAreReadFromCpuinfo(@TempDir Path dir) throws IOException {
    Path withBf16 = Files.writeString(dir.resolve("a"), "processor\t: 0\nflags\t\t: fpu sse2 avx512f"
        + " avx512_bf16 amx_tile\nbugs\t\t: none\n");
    Path without = Files.writeString(dir.resolve("b"), "processor\t: 0\nflags\t\t: fpu sse2 avx2\n");
    Path noFlags = Files.writeString(dir.resolve("c"), "Processor\t: ARMv8\nFeatures\t: fp asimd\n");
    assertEquals(Optional.of(List.of("avx512_bf16")), Precision.cpuBfloat16Flags(withBf16));
    assertEquals(Optional.of(List.of()), Precision.cpuBfloat16Flags(without));
    assertEquals(Optional.empty(), Precision.cpuBfloat16Flags(noFlags));
    assertEquals(Optional.empty(), Precision.cpuBfloat16Flags(dir.resolve("missing")));
  }

  @Test
  void theDeviceLineSaysWhatIsComputed() {
    assertEquals("float32", Precision.FLOAT32.describe(false));
    assertTrue(Precision.MIXED_BFLOAT16.describe(true).startsWith("float32: mixed_bfloat16 requested"));
    String cpu = Precision.MIXED_BFLOAT16.describe(false);
    var flags = Precision.cpuBfloat16Flags();
    if (flags.isEmpty()) {
      assertTrue(cpu.contains("cannot be told"), cpu);
    } else if (flags.get().isEmpty()) {
      assertTrue(cpu.startsWith("float32: mixed_bfloat16 requested, but this CPU has no"), cpu);
    } else {
      assertEquals("mixed_bfloat16 (" + String.join(", ", flags.get()) + ")", cpu);
    }
  }
}
