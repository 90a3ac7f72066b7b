package dev.tfmnist.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tfmnist.data.Sha256;
import dev.tfmnist.model.Architecture;
import dev.tfmnist.model.Loss;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;

/**
 * A directory of training checkpoints, {@code ckpt-<next step>/}, each holding every variable of the
 * training graph (Adam's state included) and {@code state.json}: the {@link TrainingState}, the
 * settings that must not change on resume, and the SHA-256 of each variables file.
 *
 * <p>A checkpoint is written under a hidden temporary name and renamed into place, so a crash or a
 * {@code kill -9} leaves either a complete checkpoint or none. The newest {@value #KEEP} are kept;
 * when the newest fails its checksums, {@link #latest} warns and falls back to the one before.
 */
public final class Checkpoints {
  static final int KEEP = 3;
  private static final String PREFIX = "ckpt-";
  private static final Pattern NAME = Pattern.compile(PREFIX + "(\\d+)");
  private static final String STATE = "state.json";
  private static final String VARIABLES = "variables";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** What must match between the run that saved a checkpoint and the one resuming it. */
  record Settings(long seed, int batchSize, float learningRate, float keepProb, Loss loss,
      Architecture architecture) {
    Settings {
      if (architecture == null) {  // a checkpoint saved before the choice existed
        architecture = Architecture.ORIGINAL;
      }
    }

    static Settings of(TrainingConfig config) {
      return new Settings(config.seed(), config.batchSize(), config.learningRate(),
          config.keepProb(), config.loss(), config.architecture());
    }
  }

  record Manifest(TrainingState state, Settings settings, Map<String, String> sha256) {}

  /** A checkpoint found on disk, verified. */
  public record Checkpoint(Path dir, TrainingState state) {
    Path variablesPrefix() {
      return dir.resolve(VARIABLES);
    }
  }

  private final Path dir;
  private final Consumer<String> warnings;

  public Checkpoints(Path dir, Consumer<String> warnings) {
    this.dir = dir;
    this.warnings = warnings;
  }

  public Path dir() {
    return dir;
  }

  /** Saves the trainer's variables with {@code state}; returns the checkpoint's directory. */
  public Path save(MnistTrainer trainer, TrainingState state) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(PREFIX + state.nextStep());
    Path work = Files.createTempDirectory(dir, ".saving-");
    try {
      trainer.saveVariables(work.resolve(VARIABLES));
      var sha256 = new TreeMap<String, String>();
      try (Stream<Path> files = Files.list(work)) {
        for (Path file : (Iterable<Path>) files::iterator) {
          sha256.put(file.getFileName().toString(), Sha256.of(file));
        }
      }
      var manifest = new Manifest(state, Settings.of(trainer.config()), sha256);
      JSON.writeValue(work.resolve(STATE).toFile(), manifest);
      if (Files.exists(target)) {
        PathUtils.deleteDirectory(target);  // the same step saved again, e.g. at an eval and at exit
      }
      Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      if (Files.exists(work)) {
        PathUtils.deleteDirectory(work);
      }
    }
    prune();
    return target;
  }

  /**
   * The newest checkpoint that passes its checksums and was made with {@code config}'s settings;
   * empty when there is none. Each broken one on the way gets a warning.
   */
  public Optional<Checkpoint> latest(TrainingConfig config) throws IOException {
    for (Path candidate : newestFirst()) {
      Manifest manifest;
      try {
        manifest = verify(candidate);
      } catch (IOException | RuntimeException broken) {
        warnings.accept("warning: checkpoint " + candidate + " is unusable (" + broken.getMessage()
            + "); trying the one before");
        continue;
      }
      var expected = Settings.of(config);
      if (!manifest.settings().equals(expected)) {
        throw new IllegalArgumentException("checkpoint " + candidate + " was made with "
            + manifest.settings() + ", not " + expected + ": resume with the same settings");
      }
      return Optional.of(new Checkpoint(candidate, manifest.state()));
    }
    return Optional.empty();
  }

  private Manifest verify(Path checkpoint) throws IOException {
    var manifest = JSON.readValue(checkpoint.resolve(STATE).toFile(), Manifest.class);
    if (manifest.sha256() == null || manifest.sha256().isEmpty()) {
      throw new IOException("no checksums in " + STATE);
    }
    for (var entry : manifest.sha256().entrySet()) {
      Path file = checkpoint.resolve(entry.getKey());
      if (!Files.isRegularFile(file)) {
        throw new IOException(entry.getKey() + " is missing");
      }
      if (!Sha256.of(file).equals(entry.getValue())) {
        throw new IOException(entry.getKey() + " does not match its SHA-256");
      }
    }
    return manifest;
  }

  /** Checkpoint directories, newest (highest step) first. Leftover temporary ones are removed. */
  List<Path> newestFirst() throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    var found = new ArrayList<Path>();
    try (Stream<Path> children = Files.list(dir)) {
      for (Path child : (Iterable<Path>) children::iterator) {
        String name = child.getFileName().toString();
        if (name.startsWith(".saving-")) {
          PathUtils.deleteDirectory(child);  // a save that was killed half-way
        } else if (NAME.matcher(name).matches() && Files.isDirectory(child)) {
          found.add(child);
        }
      }
    }
    found.sort(Comparator.comparingLong(Checkpoints::step).reversed());
    return found;
  }

  private void prune() throws IOException {
    var all = newestFirst();
    for (Path old : all.subList(Math.min(KEEP, all.size()), all.size())) {
      PathUtils.deleteDirectory(old);
    }
  }

  private static long step(Path checkpoint) {
    var matcher = NAME.matcher(checkpoint.getFileName().toString());
    if (!matcher.matches()) {
      throw new UncheckedIOException(new IOException("not a checkpoint: " + checkpoint));
    }
    return Long.parseLong(matcher.group(1));
  }
}
