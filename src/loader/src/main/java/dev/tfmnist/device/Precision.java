package dev.tfmnist.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.RewriterConfig;

/**
 * The arithmetic a session computes in: float32 throughout, as the original program did, or
 * oneDNN's automatic mixed precision, which rewrites the graph so that the ops oneDNN computes
 * faster in bfloat16 (convolutions, matrix products and the element-wise ops between them) run in
 * bfloat16 with casts around them, while variables, the ops that need the range, and what is
 * saved stay float32 (Keras calls this policy {@code mixed_bfloat16}).
 *
 * <p>The rewrite is Grappler's {@code auto_mixed_precision_onednn_bfloat16}; oneDNN leaves the
 * graph alone on a CPU without bfloat16 instructions ({@code avx512_bf16}, {@code amx_bf16}), so
 * asking for it there costs nothing and changes nothing. It applies to the CPU only.
 *
 * <pre>{@code
 * var config = Precision.MIXED_BFLOAT16.applyTo(ConfigProto.newBuilder()).build();
 * }</pre>
 */
public enum Precision {
  /** float32 everywhere: the original program's arithmetic, bit for bit. */
  FLOAT32("float32"),
  /** oneDNN's bfloat16 rewrite where the CPU computes bfloat16; float32 variables and exports. */
  MIXED_BFLOAT16("mixed_bfloat16");

  /** The CPU flags (Linux's /proc/cpuinfo names) that mean the CPU computes bfloat16. */
  public static final List<String> BFLOAT16_FLAGS = List.of("avx512_bf16", "amx_bf16");

  private final String label;

  Precision(String label) {
    this.label = label;
  }

  /**
   * The name users type and the programs print.
   *
   * @return {@code float32} or {@code mixed_bfloat16}
   */
  public String label() {
    return label;
  }

  /**
   * The precision named {@code text}.
   *
   * @param text {@code float32} or {@code mixed_bfloat16} (case ignored)
   * @return the precision
   * @throws IllegalArgumentException naming the value and the ones expected
   */
  public static Precision parse(String text) {
    for (Precision precision : values()) {
      if (precision.label.equalsIgnoreCase(text)) {
        return precision;
      }
    }
    throw new IllegalArgumentException("precision must be float32 or mixed_bfloat16, got '"
        + text + "'");
  }

  /**
   * Sets this precision's graph rewrite in {@code config}, leaving its other fields as they are;
   * {@link #FLOAT32} leaves the config untouched (TensorFlow's default: no rewrite).
   *
   * @param config the session config to change
   * @return {@code config} itself, for chaining
   */
  public ConfigProto.Builder applyTo(ConfigProto.Builder config) {
    if (this == MIXED_BFLOAT16) {
      config.getGraphOptionsBuilder().getRewriteOptionsBuilder()
          .setAutoMixedPrecisionOnednnBfloat16(RewriterConfig.Toggle.ON);
    }
    return config;
  }

  /**
   * Whether this machine's CPU computes bfloat16, read from the flags of Linux's
   * {@code /proc/cpuinfo}.
   *
   * @return the {@link #BFLOAT16_FLAGS} the CPU has (empty: it has none), or empty when it cannot
   *     be told (not Linux, or the file is unreadable)
   */
  public static Optional<List<String>> cpuBfloat16Flags() {
    return cpuBfloat16Flags(Path.of("/proc/cpuinfo"));
  }

  static Optional<List<String>> cpuBfloat16Flags(Path cpuinfo) {
    if (!Files.isReadable(cpuinfo)) {
      return Optional.empty();
    }
    try (Stream<String> lines = Files.lines(cpuinfo)) {
      var flags = lines.filter(line -> line.toLowerCase(Locale.ROOT).startsWith("flags"))
          .findFirst();
      if (flags.isEmpty()) {
        return Optional.empty();
      }
      var names = List.of(flags.get().substring(flags.get().indexOf(':') + 1).trim().split("\\s+"));
      return Optional.of(BFLOAT16_FLAGS.stream().filter(names::contains).toList());
    } catch (IOException | java.io.UncheckedIOException e) {
      return Optional.empty();
    }
  }

  /**
   * What the device line says of this precision on this machine's CPU, e.g. {@code float32},
   * {@code mixed_bfloat16 (avx512_bf16)} or {@code float32: mixed_bfloat16 requested, but this CPU
   * has no bfloat16 instructions (avx512_bf16, amx_bf16)}.
   *
   * @param onGpu whether the session runs on a GPU, where oneDNN's rewrite does not apply
   * @return the phrase
   */
  public String describe(boolean onGpu) {
    if (this == FLOAT32) {
      return label;
    }
    if (onGpu) {
      return "float32: mixed_bfloat16 requested, but it is oneDNN's CPU rewrite and this runs on a GPU";
    }
    return cpuBfloat16Flags()
        .map(flags -> flags.isEmpty()
            ? "float32: mixed_bfloat16 requested, but this CPU has no bfloat16 instructions ("
                + String.join(", ", BFLOAT16_FLAGS) + ")"
            : label + " (" + String.join(", ", flags) + ")")
        .orElse(label + " (whether this CPU computes bfloat16 cannot be told; oneDNN decides)");
  }
}
