package dev.tfmnist.server.models;

import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.commons.io.FileUtils;

/** Puts SavedModel versions into a base directory the way deployments do: copy, then rename. */
final class VersionDirs {
  private VersionDirs() {}

  /** Copies the MNIST SavedModel to {@code base/.copying-NAME}, then renames it to NAME. */
  static Path add(Path base, String name) {
    Path staging = base.resolve(".copying-" + name);
    copy(TestModels.tf1ModelVersion(), staging);
    try {
      return Files.move(staging, base.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A version directory whose saved_model.pb is not a SavedModel. */
  static Path addBroken(Path base, String name) {
    Path dir = base.resolve(name);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("saved_model.pb"), "not a protocol buffer");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  static void copy(Path from, Path to) {
    try {
      FileUtils.copyDirectory(from.toFile(), to.toFile());  // makes the parents too
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
