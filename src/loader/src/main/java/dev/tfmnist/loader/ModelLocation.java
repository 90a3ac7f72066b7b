package dev.tfmnist.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;
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
   * Only the file system is read.
   *
   * @param dir a SavedModel directory or a base directory of versions
   * @param requestedVersion the version to take; empty for the highest
   * @return where the SavedModel is
   * @throws ModelLoadException if {@code dir} does not exist or is not a directory; if it is a
   *     SavedModel whose name is not the requested version; if it is neither a SavedModel nor holds
   *     versions, lacks the requested version, holds two directories of one version, or the chosen
   *     version is not a SavedModel
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
    TreeMap<Long, Path> versions = versions(dir);
    if (versions.isEmpty()) {
      throw new ModelLoadException(dir, "not a SavedModel: it holds no " + SAVED_MODEL_PB
          + " and no numbered version directories");
    }
    long version = versions.lastKey();
    if (requestedVersion.isPresent()) {
      version = requestedVersion.getAsLong();
      if (!versions.containsKey(version)) {
        throw new ModelLoadException(dir, "has no version " + version + "; its versions are "
            + versions.keySet());
      }
    }
    Path chosen = versions.get(version);
    if (!isSavedModel(chosen)) {
      throw new ModelLoadException(chosen, "not a SavedModel: no " + SAVED_MODEL_PB);
    }
    return new ModelLocation(chosen, OptionalLong.of(version));
  }

  /**
   * Whether {@code dir} holds a saved_model.pb (or .pbtxt).
   *
   * @param dir any path
   * @return true when it is a SavedModel directory
   */
  public static boolean isSavedModel(Path dir) {
    return Files.isRegularFile(dir.resolve(SAVED_MODEL_PB))
        || Files.isRegularFile(dir.resolve(SAVED_MODEL_PBTXT));
  }

  private static OptionalLong versionOf(Path dir) {
    Path name = dir.toAbsolutePath().normalize().getFileName();
    return name != null && VERSION.matcher(name.toString()).matches()
        ? OptionalLong.of(Long.parseLong(name.toString()))
        : OptionalLong.empty();
  }

  /**
   * The integer-named subdirectories by version; zero padding is allowed ({@code 00000123} is
   * version 123, as TensorFlow Serving reads it), hidden work directories and other names are
   * ignored.
   *
   * @param dir the base directory
   * @return the version directories by version, lowest first; a new map the caller may change
   * @throws ModelLoadException if {@code dir} cannot be listed, or two of its directories name the
   *     same version (e.g. {@code 1} and {@code 001})
   */
  public static TreeMap<Long, Path> versions(Path dir) throws ModelLoadException {
    var versions = new TreeMap<Long, Path>();
    List<Path> children;
    try (Stream<Path> list = Files.list(dir)) {
      children = list.filter(Files::isDirectory)
          .filter(p -> VERSION.matcher(p.getFileName().toString()).matches())
          .sorted().toList();
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(dir, "cannot list the directory: " + e.getMessage(), e);
    }
    for (Path child : children) {
      Path other = versions.putIfAbsent(Long.parseLong(child.getFileName().toString()), child);
      if (other != null) {
        throw new ModelLoadException(dir, "has two directories for version "
            + Long.parseLong(child.getFileName().toString()) + ": " + other.getFileName()
            + " and " + child.getFileName());
      }
    }
    return versions;
  }
}
