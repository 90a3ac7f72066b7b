package dev.tfmnist.loader;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * 8-bit grayscale PNG files, for models that take encoded images: the pixels a caller gives as
 * floats in [0, 1] become the bytes a model's decode_png turns back into the same 0..255 values.
 */
final class PngEncoder {
  private PngEncoder() {}

  /** A {@code width x height} gray image from {@code pixels[offset...]}, row-major, in [0, 1]. */
  static byte[] gray8(int width, int height, float[] pixels, int offset) {
    var image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    var raster = image.getRaster();
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        raster.setSample(x, y, 0, ImageTensors.toByte(pixels[offset + y * width + x]));
      }
    }
    var png = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return png.toByteArray();
  }
}
