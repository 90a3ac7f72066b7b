package dev.tfmnist.server.models;

import java.nio.file.Path;

/** {@link VersionDirs} for tests in other packages. */
public final class VersionDirsAccess {
  private VersionDirsAccess() {}

  public static Path add(Path base, String name) {
    try {
      java.nio.file.Files.createDirectories(base);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return VersionDirs.add(base, name);
  }
}
