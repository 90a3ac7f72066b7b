package dev.tfmnist.server.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file-system source on real directories: what is a version, what the policy wants. */
class FileSystemSourceTest {
  @TempDir
  Path base;

  /** A version directory as far as the source looks: a saved_model.pb in a numbered directory. */
  private Path version(String name) throws IOException {
    Path dir = Files.createDirectories(base.resolve(name));
    Files.write(dir.resolve("saved_model.pb"), new byte[0]);
    return dir;
  }

  private ModelConfig config(VersionPolicy policy) {
    return new ModelConfig("m", base, policy, Map.of());
  }

  @Test
  void versionsAreNumberedDirectoriesHoldingASavedModelAndTheLatestIsAspired() throws Exception {
    version("1");
    version("007");
    version("12");
    Files.createDirectories(base.resolve("13"));  // still being copied: no saved_model.pb yet
    version("not-a-number");
    Files.createDirectories(base.resolve(".copying-14"));
    var listing = FileSystemSource.list(config(VersionPolicy.latest(1)));
    assertTrue(listing.readable());
    assertEquals(new TreeSet<>(List.of(1L, 7L, 12L)), listing.versions().keySet());
    assertEquals(Set.of(12L), listing.aspired());
    assertTrue(listing.problem().isEmpty());
  }

  @Test
  void thePolicyChoosesAmongTheVersionsOnDisk() throws Exception {
    for (String v : List.of("1", "2", "3", "4")) {
      version(v);
    }
    assertEquals(Set.of(3L, 4L), FileSystemSource.list(config(VersionPolicy.latest(2))).aspired());
    assertEquals(Set.of(1L, 2L, 3L, 4L),
        FileSystemSource.list(config(VersionPolicy.all())).aspired());
    assertEquals(Set.of(2L),
        FileSystemSource.list(config(VersionPolicy.specific(List.of(2L, 9L)))).aspired());
  }

  @Test
  void anEmptyBaseIsReadableWithAProblemAndAMissingOneIsUnreadable() throws Exception {
    var empty = FileSystemSource.list(config(VersionPolicy.latest(1)));
    assertTrue(empty.readable());
    assertTrue(empty.aspired().isEmpty());
    assertEquals("no versions of model m found under base path " + base, empty.problem().get());

    var missing = FileSystemSource.list(new ModelConfig("m", base.resolve("gone"),
        VersionPolicy.latest(1), Map.of()));
    assertFalse(missing.readable());
    assertTrue(missing.problem().get().contains("gone"), missing.problem().get());
  }
}
