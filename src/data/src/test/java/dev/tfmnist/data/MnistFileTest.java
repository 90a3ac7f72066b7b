package dev.tfmnist.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistFileTest {
  @TempDir Path dir;

  @Test
  void realFilesHaveThePublishedChecksums() throws IOException {
    // The test data may hold the mirrors' .gz files or the npm package's raw ones: the content's
    // sum is checked either way, the .gz sum where there is a .gz.
    for (MnistFile file : MnistFile.values()) {
      assertEquals(file.rawSha256(), Sha256.of(TestData.rawBytes(file)), file.rawName());
      Path real = TestData.real(file);
      if (real.getFileName().toString().equals(file.gzName())) {
        assertEquals(file.gzSha256(), Sha256.of(real), file.gzName());
      }
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
}
