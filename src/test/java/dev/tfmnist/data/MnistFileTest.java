package dev.tfmnist.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistFileTest {
  @TempDir Path dir;

  @Test
  void checksumsMatchTheSumFilesShippedWithTheData() throws IOException {
    Map<String, String> gz = sums(TestData.realDir().resolve("SHA256SUMS"));
    Map<String, String> raw = sums(TestData.realDir().resolve("SHA256SUMS.raw"));
    assertEquals(4, gz.size());
    assertEquals(4, raw.size());
    for (MnistFile file : MnistFile.values()) {
      assertEquals(gz.get(file.gzName()), file.gzSha256(), file.gzName());
      assertEquals(raw.get(file.rawName()), file.rawSha256(), file.rawName());
    }
  }

  @Test
  void realCompressedFilesHaveTheKnownChecksums() throws IOException {
    for (MnistFile file : MnistFile.values()) {
      assertEquals(file.gzSha256(), Sha256.of(TestData.gz(file)), file.gzName());
    }
  }

  @Test
  void namesAreTheMirrorsNames() {
    assertEquals("train-images-idx3-ubyte.gz", MnistFile.TRAIN_IMAGES.gzName());
    assertEquals("train-labels-idx1-ubyte", MnistFile.TRAIN_LABELS.rawName());
    assertEquals("t10k-images-idx3-ubyte", MnistFile.TEST_IMAGES.rawName());
    assertEquals("t10k-labels-idx1-ubyte.gz", MnistFile.TEST_LABELS.gzName());
  }

  @Test
  void locatesCompressedOrRawPreferringCompressed() throws IOException {
    MnistFile file = MnistFile.TEST_LABELS;
    assertEquals(Optional.empty(), file.locate(dir));
    // A directory of that name is not the file.
    Files.createDirectory(dir.resolve(file.gzName()));
    assertEquals(Optional.empty(), file.locate(dir));
    Files.delete(dir.resolve(file.gzName()));

    Path raw = Files.writeString(dir.resolve(file.rawName()), "x");
    assertEquals(Optional.of(raw), file.locate(dir));
    Path gz = Files.writeString(dir.resolve(file.gzName()), "x");
    assertEquals(Optional.of(gz), file.locate(dir));
    assertEquals(gz, file.require(dir));
    assertEquals(Optional.empty(), MnistFile.TRAIN_LABELS.locate(dir));
  }

  @Test
  void requireNamesBothCandidates() {
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> MnistFile.TRAIN_IMAGES.require(dir));
    assertEquals(
        dir.resolve("train-images-idx3-ubyte.gz")
            + ": neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte found in "
            + dir,
        e.getMessage());
  }

  @Test
  void sha256OfKnownInput() throws IOException {
    // The FIPS 180-2 test vector for "abc".
    String abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assertEquals(abc, Sha256.of("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    assertEquals(abc, Sha256.of(Files.writeString(dir.resolve("abc"), "abc")));
  }

  private static Map<String, String> sums(Path file) throws IOException {
    Map<String, String> sums = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.trim().split("\\s+\\*?");
      assertTrue(parts.length == 2, line);
      sums.put(parts[1], parts[0]);
    }
    return sums;
  }
}
