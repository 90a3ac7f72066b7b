package dev.tfmnist.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A float32 matrix as a NumPy .npy file (format 1.0), which {@code numpy.load} reads as is. */
final class NpyFile {
  private NpyFile() {}

  static void writeFloats(Path file, float[] values, int rows, int columns) throws IOException {
    if (values.length != rows * columns) {
      throw new IllegalArgumentException(values.length + " values are not " + rows + "x" + columns);
    }
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + columns + "), }";
    // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64
    int unpadded = 10 + dict.length() + 1;
    String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
    var buffer = ByteBuffer.allocate(10 + header.length() + 4 * values.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    buffer.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    buffer.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
    buffer.asFloatBuffer().put(values);
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
    try {
      Files.write(temp, buffer.array());
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
