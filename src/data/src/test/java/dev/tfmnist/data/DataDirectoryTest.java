package dev.tfmnist.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DataDirectoryTest {
  @Test
  void explicitDirectoryWinsOverEnvironment() {
    assertEquals(
        Path.of("/explicit"),
        DataDirectory.resolve(Path.of("/explicit"), Map.of("MNIST_DIR", "/from/env")::get));
  }

  @Test
  void environmentIsUsedWhenNoDirectoryIsGiven() {
    assertEquals(
        Path.of("/from/env"), DataDirectory.resolve(null, Map.of("MNIST_DIR", "/from/env")::get));
  }

  @Test
  void blankOrMissingEnvironmentFallsBackToDataMnist() {
    assertEquals(Path.of("data/mnist"), DataDirectory.resolve(null, Map.of("MNIST_DIR", "")::get));
    assertEquals(
        Path.of("data/mnist"), DataDirectory.resolve(null, Map.of("MNIST_DIR", "  ")::get));
    assertEquals(Path.of("data/mnist"), DataDirectory.resolve(null, Map.<String, String>of()::get));
    // Relative, so that it lands under whatever the working directory is.
    assertEquals(false, DataDirectory.resolve(null, name -> null).isAbsolute());
  }

  @Test
  void onlyMnistDirIsConsulted() {
    assertEquals(
        Path.of("data/mnist"), DataDirectory.resolve(null, Map.of("MNIST", "/wrong")::get));
  }
}
