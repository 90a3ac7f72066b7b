package dev.tfmnist.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection that sends pre-encoded POST requests and reads
 * Content-Length responses: the load generator's client. It spends a few microseconds of CPU per
 * request where {@code java.net.http.HttpClient} spent 0.15-0.45 ms, CPU that the server on the
 * same 2 cores then had to do without (what wrk or hey would be, for a Java-only toolchain).
 */
final class LoopbackConnection implements AutoCloseable {
  private final InetSocketAddress address;
  private Socket socket;
  private OutputStream out;
  private InputStream in;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
  private byte[] body = new byte[4096];
  private int bodyLength;

  LoopbackConnection(URI uri) {
    address = new InetSocketAddress(uri.getHost(), uri.getPort());
  }

  /** The bytes of a POST of {@code json} to {@code uri}, headers included. */
  static byte[] post(URI uri, String json) {
    byte[] payload = json.getBytes(StandardCharsets.UTF_8);
    String head = "POST " + uri.getRawPath() + " HTTP/1.1\r\n"
        + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
        + "Content-Type: application/json\r\n"
        + "Content-Length: " + payload.length + "\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] request = new byte[headBytes.length + payload.length];
    System.arraycopy(headBytes, 0, request, 0, headBytes.length);
    System.arraycopy(payload, 0, request, headBytes.length, payload.length);
    return request;
  }

  /** Sends {@code request}, reads the whole response; returns its status code. */
  int send(byte[] request) throws IOException {
    if (socket == null) {
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(address, 5_000);
      socket.setSoTimeout(30_000);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 16_384);
    }
    out.write(request);
    out.flush();
    String status = readLine();
    if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
      throw new IOException("not an HTTP/1.1 status line: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    int length = -1;
    boolean close = false;
    for (String header = readLine(); !header.isEmpty(); header = readLine()) {
      String lower = header.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Integer.parseInt(lower.substring(15).strip());
      } else if (lower.startsWith("connection:") && lower.contains("close")) {
        close = true;
      }
    }
    if (length < 0) {
      throw new IOException("response without Content-Length (status " + code + ")");
    }
    if (body.length < length) {
      body = new byte[Math.max(length, body.length * 2)];
    }
    int read = in.readNBytes(body, 0, length);
    if (read < length) {
      throw new EOFException("response body ended after " + read + " of " + length + " bytes");
    }
    bodyLength = length;
    if (close) {
      close();
    }
    return code;
  }

  /** The last response's body. */
  String body() {
    return new String(body, 0, bodyLength, StandardCharsets.UTF_8);
  }

  /** Whether the last response's body contains {@code ascii}, without decoding it. */
  boolean bodyContains(byte[] ascii) {
    outer:
    for (int i = 0; i + ascii.length <= bodyLength; i++) {
      for (int j = 0; j < ascii.length; j++) {
        if (body[i + j] != ascii[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private String readLine() throws IOException {
    line.reset();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new EOFException("connection closed by the server");
      }
      if (c != '\r') {
        line.write(c);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    if (socket != null) {
      socket.close();
      socket = null;
    }
  }
}
