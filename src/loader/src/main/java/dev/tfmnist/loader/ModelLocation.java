package dev.tfmnist.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a SavedModel is: the directory given, or, for a TensorFlow Serving base directory, its
 * highest integer version (or the version asked for).
 *
 * @param directory the SavedModel directory itself, holding saved_model.pb
 * @param version its version when the directory's name is an integer, as in a base directory
 */
public record ModelLocation(Path directory, OptionalLong version) {
  private static final Pattern VERSION = Pattern.compile("\\d{1,18}");
  static final String SAVED_MODEL_PB = "saved_model.pb";
  static final String SAVED_MODEL_PBTXT = "saved_model.pbtxt";

  /**
   * Resolves {@code dir}: a SavedModel directory is taken as it is; otherwise {@code dir} must hold
   * integer-named version directories and the highest (or {@code requestedVersion}) is taken.
   */
  public static ModelLocation resolve(Path dir, OptionalLong requestedVersion)
      throws ModelLoadException {
    if (!Files.exists(dir)) {
      throw new ModelLoadException(dir, "no such directory");
    }
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException(dir, "not a directory; expected a SavedModel directory or a "
          + "base directory of numbered versions");
    }
    if (isSavedModel(dir)) {
      OptionalLong own = versionOf(dir);
      if (requestedVersion.isPresent() && !own.equals(requestedVersion)) {
        throw new ModelLoadException(dir, "is a SavedModel, not a base directory holding version "
            + requestedVersion.getAsLong());
      }
      return new ModelLocation(dir, own);
    }
    List<Long> versions = versions(dir);
    if (versions.isEmpty()) {
      throw new ModelLoadException(dir, "not a SavedModel: it holds no " + SAVED_MODEL_PB
          + " and no numbered version directories");
    }
    long version = versions.get(versions.size() - 1);
    if (requestedVersion.isPresent()) {
      version = requestedVersion.getAsLong();
      if (!versions.contains(version)) {
        throw new ModelLoadException(dir, "has no version " + version + "; its versions are "
            + versions);
      }
    }
    Path chosen = dir.resolve(Long.toString(version));
    if (!isSavedModel(chosen)) {
      throw new ModelLoadException(chosen, "not a SavedModel: no " + SAVED_MODEL_PB);
    }
    return new ModelLocation(chosen, OptionalLong.of(version));
  }

  static boolean isSavedModel(Path dir) {
    return Files.isRegularFile(dir.resolve(SAVED_MODEL_PB))
        || Files.isRegularFile(dir.resolve(SAVED_MODEL_PBTXT));
  }

  private static OptionalLong versionOf(Path dir) {
    Path name = dir.toAbsolutePath().normalize().getFileName();
    return name != null && VERSION.matcher(name.toString()).matches()
        ? OptionalLong.of(Long.parseLong(name.toString()))
        : OptionalLong.empty();
  }

  /** The integer-named subdirectories, ascending; hidden work directories are ignored. */
  private static List<Long> versions(Path dir) throws ModelLoadException {
    var versions = new ArrayList<Long>();
    try (Stream<Path> children = Files.list(dir)) {
      children.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(name -> VERSION.matcher(name).matches())
          .forEach(name -> versions.add(Long.parseLong(name)));
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(dir, "cannot list the directory: " + e.getMessage(), e);
    }
    versions.sort(null);
    return versions;
  }
}
