package dev.tfmnist.data;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/** Downloads one URL into a file with the JDK's HTTP client. */
final class MirrorDownloader {
  private static final long POLL_MILLIS = 100;

  private final HttpClient client;
  private final Duration requestTimeout;
  private final Duration stallTimeout;

  /**
   * @param connectTimeout time to establish a connection
   * @param requestTimeout time from sending a request to receiving the response headers
   * @param stallTimeout longest pause in the middle of a body before the download is abandoned
   */
  MirrorDownloader(Duration connectTimeout, Duration requestTimeout, Duration stallTimeout) {
    this.requestTimeout = requestTimeout;
    this.stallTimeout = stallTimeout;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            // HTTP/1.1 keeps behaviour the same over http and https, loopback tests included.
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  /**
   * Writes the body of {@code uri}'s 200 answer into {@code temp}, which must exist; any other
   * status fails as {@code HTTP <status>} without writing anything.
   */
  void download(URI uri, Path temp, VerifiedInstall.Progress progress) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build();
    var headers = new AtomicReference<ResponseInfo>();
    BodyHandler<Path> handler = info -> {
      headers.set(info);
      // WRITE without CREATE: a body that arrives after its download was abandoned finds the
      // temp file deleted and fails, rather than leave it behind again.
      return info.statusCode() == 200
          ? BodyHandlers.ofFile(temp, StandardOpenOption.WRITE).apply(info)
          : BodySubscribers.replacing(temp);
    };
    HttpResponse<Path> response = await(client.sendAsync(request, handler), headers, temp, uri,
        progress);
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
  }

  /**
   * Waits for the body, reporting on this thread (as {@link DownloadListener} promises) how far
   * the file has grown. Why a poll rather than a blocking wait: the client's request timeout ends
   * when the headers arrive and a body has no timeout of its own, so a mirror that stops sending
   * mid-body would hang the fetch for good. The file's size, looked at every 100 ms, shows both
   * the progress and such a stall; the JDK's own {@code ofFile} subscriber writes it.
   */
  private HttpResponse<Path> await(CompletableFuture<HttpResponse<Path>> response,
      AtomicReference<ResponseInfo> headers, Path temp, URI uri, VerifiedInstall.Progress progress)
      throws IOException {
    boolean started = false;
    long reported = -1;
    long lastChange = System.nanoTime();
    while (true) {
      HttpResponse<Path> done = null;
      IOException error = null;
      try {
        done = response.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // look at the file below, then wait again
      } catch (ExecutionException e) {
        error = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      } catch (InterruptedException e) {
        response.cancel(true);
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while downloading " + uri);
      }
      ResponseInfo info = headers.get();
      // Reported even when the body has failed, so that a listener sees started, progress and
      // then failed for every response that carried data.
      if (info != null && info.statusCode() == 200) {
        if (!started) {
          progress.started(info.headers().firstValueAsLong("Content-Length").orElse(-1));
          started = true;
          lastChange = System.nanoTime();
        }
        long bytes = Files.size(temp);
        if (bytes != reported) {
          progress.progress(bytes);
          reported = bytes;
          lastChange = System.nanoTime();
        } else if (done == null && error == null
            && System.nanoTime() - lastChange > stallTimeout.toNanos()) {
          response.cancel(true);
          throw new IOException(
              "no data for " + stallTimeout.toMillis() + " ms after " + bytes + " bytes");
        }
      }
      if (error != null) {
        throw error;
      }
      if (done != null) {
        return done;
      }
    }
  }
}
