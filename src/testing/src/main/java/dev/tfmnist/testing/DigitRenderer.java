package dev.tfmnist.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Draws MNIST images as the files a user would have: enlarged, inverted, on a bigger canvas, in
 * color, as PNG, JPEG or PGM. Gray levels are written as stored samples, never through Java2D's
 * color conversion, so a test knows exactly what is in the file.
 */
public final class DigitRenderer {
  private DigitRenderer() {}

  /**
   * The 28x28 digit (values in [0, 1], white on black) enlarged {@code scale} times with bilinear
   * interpolation, on a {@code width x height} canvas at ({@code x0}, {@code y0}); gray levels in
   * [0, 255], inverted to black on white when asked.
   */
  public static int[][] render(float[] mnist, int scale, int width, int height, int x0, int y0,
      boolean inverted) {
    int size = 28 * scale;
    if (x0 + size > width || y0 + size > height) {
      throw new IllegalArgumentException("the digit does not fit the canvas");
    }
    int[][] gray = new int[height][width];
    for (int y = 0; y < size; y++) {
      double sy = Math.max(0, Math.min(27, (y + 0.5) / scale - 0.5));
      int ya = (int) sy;
      int yb = Math.min(27, ya + 1);
      double fy = sy - ya;
      for (int x = 0; x < size; x++) {
        double sx = Math.max(0, Math.min(27, (x + 0.5) / scale - 0.5));
        int xa = (int) sx;
        int xb = Math.min(27, xa + 1);
        double fx = sx - xa;
        double v = (1 - fy) * ((1 - fx) * mnist[ya * 28 + xa] + fx * mnist[ya * 28 + xb])
            + fy * ((1 - fx) * mnist[yb * 28 + xa] + fx * mnist[yb * 28 + xb]);
        gray[y0 + y][x0 + x] = (int) Math.round(v * 255);
      }
    }
    if (inverted) {
      for (int[] row : gray) {
        for (int x = 0; x < row.length; x++) {
          row[x] = 255 - row[x];
        }
      }
    }
    return gray;
  }

  public static BufferedImage grayImage(int[][] gray) {
    var image = new BufferedImage(gray[0].length, gray.length, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < gray.length; y++) {
      for (int x = 0; x < gray[0].length; x++) {
        image.getRaster().setSample(x, y, 0, gray[y][x]);
      }
    }
    return image;
  }

  /** Ink of color {@code ink} on paper of color {@code paper}, mixed by the gray level's darkness. */
  public static BufferedImage colorImage(int[][] blackOnWhite, int ink, int paper) {
    var image = new BufferedImage(blackOnWhite[0].length, blackOnWhite.length,
        BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < blackOnWhite.length; y++) {
      for (int x = 0; x < blackOnWhite[0].length; x++) {
        double darkness = 1 - blackOnWhite[y][x] / 255.0;
        int rgb = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
          int c = (int) Math.round(darkness * ((ink >> shift) & 0xff)
              + (1 - darkness) * ((paper >> shift) & 0xff));
          rgb |= c << shift;
        }
        image.setRGB(x, y, rgb);
      }
    }
    return image;
  }

  public static void writePng(BufferedImage image, Path file) throws IOException {
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer");
    }
  }

  public static void writeJpeg(BufferedImage image, Path file) throws IOException {
    if (!ImageIO.write(image, "jpg", file.toFile())) {
      throw new IOException("no JPEG writer");
    }
  }

  /** P5 with 8-bit samples, or P2 (ASCII) with a comment line, gray levels as they are. */
  public static void writePgm(int[][] gray, Path file, boolean binary) throws IOException {
    int h = gray.length;
    int w = gray[0].length;
    var out = new ByteArrayOutputStream();
    String header = (binary ? "P5\n" : "P2\n# rendered from MNIST\n") + w + " " + h + "\n255\n";
    out.write(header.getBytes(StandardCharsets.US_ASCII));
    for (int[] row : gray) {
      var line = new StringBuilder();
      for (int v : row) {
        if (binary) {
          out.write(v);
        } else {
          line.append(v).append(' ');
        }
      }
      if (!binary) {
        out.write((line.toString().strip() + "\n").getBytes(StandardCharsets.US_ASCII));
      }
    }
    Files.write(file, out.toByteArray());
  }
}
