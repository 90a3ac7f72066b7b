package dev.tfmnist.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Writes small ustar archives, gzipped like npm's, with the entry kinds npm tarballs can hold. */
final class TestTar {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  TestTar directory(String name) {
    header(name, 0, '5');
    return this;
  }

  TestTar file(String name, byte[] data) {
    header(name, data.length, '0');
    data(data);
    return this;
  }

  /** A pax extended header whose path replaces the (placeholder) name of the next entry. */
  TestTar paxFile(String path, byte[] data) {
    String body = " path=" + path + "\n";
    int length = body.length();
    while (length != body.length() + Integer.toString(length).length()) {
      length = body.length() + Integer.toString(length).length();
    }
    byte[] record = (length + body).getBytes(StandardCharsets.UTF_8);
    header("PaxHeader/placeholder", record.length, 'x');
    data(record);
    return file("placeholder", data);
  }

  /** A GNU long-name entry followed by the file under a truncated name. */
  TestTar gnuLongNameFile(String name, byte[] data) {
    byte[] longName = (name + "\0").getBytes(StandardCharsets.UTF_8);
    header("././@LongLink", longName.length, 'L');
    data(longName);
    return file(name.substring(0, Math.min(name.length(), 99)), data);
  }

  /** The archive, ended by two zero blocks. */
  byte[] tar() {
    byte[] tar = out.toByteArray();
    return Arrays.copyOf(tar, tar.length + 1024);
  }

  byte[] gzipped() {
    return TestData.gzip(tar());
  }

  private void header(String name, long size, char type) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644");
    put(h, 108, "0000000");
    put(h, 116, "0000000");
    put(h, 124, String.format("%011o", size));
    put(h, 136, "00000000000");
    Arrays.fill(h, 148, 156, (byte) ' ');
    h[156] = (byte) type;
    put(h, 257, "ustar");
    put(h, 263, "00");
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, String.format("%06o", sum));
    h[154] = 0;
    out.writeBytes(h);
  }

  private void data(byte[] data) {
    out.writeBytes(data);
    out.writeBytes(new byte[(512 - data.length % 512) % 512]);
  }

  private static void put(byte[] header, int offset, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(bytes, 0, header, offset, bytes.length);
  }
}
