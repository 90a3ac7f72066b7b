package dev.tfmnist.server.models;

import dev.tfmnist.loader.ModelLocation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * TF Serving's file-system source: the numbered version directories under a model's base path
 * that hold a complete SavedModel, and of those the versions the model's policy wants served.
 * A directory still being copied (no saved_model.pb yet) is not a version.
 */
public final class FileSystemSource {
  private FileSystemSource() {}

  /**
   * What one listing of a base directory found.
   *
   * @param versions every version on disk, by number, with its directory
   * @param aspired the versions the policy wants served, a subset of {@code versions}
   * @param problem why the listing found nothing to serve, or empty
   * @param readable false when the base directory could not be listed (a network file system
   *     may blink): the caller keeps serving what it has
   */
  public record Listing(SortedMap<Long, Path> versions, SortedSet<Long> aspired,
      Optional<String> problem, boolean readable) {}

  /**
   * Lists a model's base directory and applies its version policy.
   *
   * @param config the model's name, base path and policy
   * @return the versions found and wanted, or the problem
   */
  public static Listing list(ModelConfig config) {
    SortedMap<Long, Path> onDisk;
    try {
      onDisk = new TreeMap<>(ModelLocation.versions(config.basePath()));
    } catch (IOException | RuntimeException e) {
      return new Listing(Collections.emptySortedMap(), Collections.emptySortedSet(),
          Optional.of(String.valueOf(e.getMessage())), false);
    }
    onDisk.values().removeIf(dir -> !ModelLocation.isSavedModel(dir));  // still being copied
    if (onDisk.isEmpty()) {
      return new Listing(onDisk, Collections.emptySortedSet(), Optional.of("no versions of model "
          + config.name() + " found under base path " + config.basePath()), true);
    }
    return new Listing(onDisk, config.policy().select(new TreeSet<>(onDisk.keySet())),
        Optional.empty(), true);
  }
}
