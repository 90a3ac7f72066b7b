package dev.tfmnist.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tfmnist.server.ServingException;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;

/**
 * A REST request's body as TF Serving reads it: whole, within the size limit (413 beyond it),
 * gzip-decompressed when so encoded, parsed as JSON with {@code NaN} and {@code Infinity}.
 */
final class RequestBody {
  /** How much of an oversized body is read and dropped so that the 413 reaches the client. */
  static final long DRAIN_BYTES = 64L << 20;

  private final long maxRequestBytes;

  RequestBody(long maxRequestBytes) {
    this.maxRequestBytes = maxRequestBytes;
  }

  /** The body as a JSON object: read within the limit, decompressed, parsed. */
  JsonNode object(HttpServerExchange exchange, String expected) {
    JsonNode request = parse(NonFiniteNumbers.spellOut(decompressed(exchange, read(exchange))));
    if (!request.isObject()) {
      throw ServingException.invalidArgument("the request body must be a JSON object with "
          + expected);
    }
    return request;
  }

  /**
   * The whole body, or 413 when it is over the limit. An oversized body is still read and thrown
   * away, up to {@link #DRAIN_BYTES} more: a server that answers and closes while the client is
   * still sending makes the client's TCP stack discard the answer on the reset.
   */
  private byte[] read(HttpServerExchange exchange) {
    long declared = exchange.getRequestContentLength();
    try (InputStream in = exchange.getInputStream()) {
      if (declared > maxRequestBytes) {
        if (declared > maxRequestBytes + DRAIN_BYTES || !drain(in)) {
          exchange.setPersistent(false);
        }
        throw tooLarge(declared);
      }
      byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1));
      if (body.length > maxRequestBytes) {
        if (!drain(in)) {
          exchange.setPersistent(false);
        }
        throw tooLarge(-1);
      }
      return body;
    } catch (RequestTooBigException e) {
      exchange.setPersistent(false);
      throw tooLarge(-1);
    } catch (IOException e) {
      // the client went away or broke the framing; nothing is listening for a 500
      throw ServingException.invalidArgument("cannot read the request body: " + e.getMessage());
    }
  }

  /** Reads and drops the rest of the body; false when it went on past the drain limit. */
  private static boolean drain(InputStream in) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long dropped = 0;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      dropped += n;
      if (dropped > DRAIN_BYTES) {
        return false;
      }
    }
    return true;
  }

  private ApiException tooLarge(long declared) {
    return new ApiException(413, "the request body" + (declared > 0 ? " of " + declared
        + " bytes" : "") + " is larger than the limit of " + maxRequestBytes + " bytes");
  }

  /** A body sent with {@code Content-Encoding: gzip}, decompressed, within the size limit. */
  private byte[] decompressed(HttpServerExchange exchange, byte[] body) {
    String encoding = exchange.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING);
    if (encoding == null || !encoding.contains("gzip")) {
      return body;
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      byte[] plain = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1));
      if (plain.length > maxRequestBytes) {
        throw new ApiException(413, "the request body decompresses to more than the limit of "
            + maxRequestBytes + " bytes");
      }
      return plain;
    } catch (IOException e) {
      throw ServingException.invalidArgument("the request body is not valid gzip"
          + " (Content-Encoding: " + encoding + "): " + e.getMessage());
    }
  }

  private static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw ServingException.invalidArgument("the request body is empty; expected a JSON object");
    }
    try {
      return RestJson.JSON.readTree(body);
    } catch (JsonProcessingException e) {
      var location = e.getLocation();
      // Jackson names the source even when told not to show it: "[Source: REDACTED (...); line"
      String message = e.getOriginalMessage().replaceAll("\\[Source: .*?; line:", "[line:");
      throw ServingException.invalidArgument("malformed JSON: " + message
          + (location == null ? "" : " at line " + location.getLineNr() + ", column "
          + location.getColumnNr()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
