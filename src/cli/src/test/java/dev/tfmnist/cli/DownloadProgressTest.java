package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tfmnist.data.IdxReader;
import dev.tfmnist.data.MnistFetcher;
import dev.tfmnist.data.MnistFile;
import dev.tfmnist.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real fetch over loopback, reported the way TrainMnist reports it off a terminal. */
class DownloadProgressTest {

  @Test
  void fetchingReportsPlainProgressLinesPerFile(@TempDir Path dir) throws Exception {
    var server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // train-images as a mirror serves it: gzip (the test data may hold the raw file)
    var gz = new ByteArrayOutputStream();
    try (var out = new GZIPOutputStream(gz)) {
      out.write(IdxReader.readAllBytes(TestData.file(MnistFile.TRAIN_IMAGES)));
    }
    byte[] body = gz.toByteArray();
    String total = String.format(Locale.ROOT, "%.1f", body.length / 1048576.0);
    server.createContext("/mnist/", exchange -> {
      exchange.sendResponseHeaders(200, body.length);
      try (var out = exchange.getResponseBody()) {
        for (int at = 0; at < body.length; at += 65536) {
          out.write(body, at, Math.min(65536, body.length - at));
        }
      }
    });
    server.start();
    try {
      var err = new StringWriter();
      var fetcher = MnistFetcher.builder()
          .mirrors(List.of(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mnist/")))
          .npmCommand(List.of())
          .listener(new DownloadProgress(Progress.Mode.LINES, new PrintWriter(err, true)))
          .log(message -> {})
          .build();
      fetcher.fetch(MnistFile.TRAIN_IMAGES, dir);
      var lines = err.toString().lines().toList();
      // a line per tenth of the file at most; the fetcher reports in chunks, so some tenths merge
      assertTrue(!lines.isEmpty() && lines.size() <= 10, err.toString());
      double previous = 0;
      for (String line : lines) {
        assertTrue(line.matches(
            "train-images-idx3-ubyte\\.gz \\d+\\.\\d/" + total.replace(".", "\\.")
            + " MB  \\d+\\.\\d MB/s  ETA \\d+:\\d\\d"), line);
        double done = Double.parseDouble(line.split(" ")[1].split("/")[0]);
        assertTrue(done > previous, "progress went backwards: " + err);
        previous = done;
      }
      assertTrue(lines.get(lines.size() - 1).startsWith("train-images-idx3-ubyte.gz " + total + "/" + total + " MB"), err.toString());
    } finally {
      server.stop(0);
    }
  }
}
