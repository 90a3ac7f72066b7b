package dev.tfmnist.loader.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tfmnist.testing.DigitRenderer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {

  @Test
  void grayPngKeepsItsStoredLevels(@TempDir Path dir) throws IOException {
    var image = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setSample(0, 0, 0, 128);
    image.getRaster().setSample(1, 0, 0, 255);
    Path file = dir.resolve("gray.png");
    DigitRenderer.writePng(image, file);
    GrayImage gray = ImageFiles.read(file);
    // through getRGB, 128 would come back as about 0.73 (linear gray read as sRGB)
    assertEquals(128 / 255f, gray.pixel(0, 0), 1e-6);
    assertEquals(1f, gray.pixel(1, 0));
  }

  @Test
  void colorBecomesLuminance(@TempDir Path dir) throws IOException {
    var image = new BufferedImage(3, 1, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xff0000);
    image.setRGB(1, 0, 0x00ff00);
    image.setRGB(2, 0, 0xffffff);
    Path file = dir.resolve("rgb.png");
    DigitRenderer.writePng(image, file);
    GrayImage gray = ImageFiles.read(file);
    assertEquals(0.299f, gray.pixel(0, 0), 1e-3);
    assertEquals(0.587f, gray.pixel(1, 0), 1e-3);
    assertEquals(1f, gray.pixel(2, 0), 1e-6);
  }

  @Test
  void transparentCanvasGoesBehindDarkInkAsWhite(@TempDir Path dir) throws IOException {
    var image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
    image.setRGB(0, 0, 0xff000000);  // opaque black ink
    image.setRGB(1, 0, 0x00000000);  // transparent
    Path file = dir.resolve("alpha.png");
    DigitRenderer.writePng(image, file);
    GrayImage gray = ImageFiles.read(file);
    assertEquals(0f, gray.pixel(0, 0));
    assertEquals(1f, gray.pixel(1, 0), "the transparent canvas reads as white paper");
  }

  @Test
  void jpegIsRead(@TempDir Path dir) throws IOException {
    var image = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
    Path file = dir.resolve("black.jpg");
    DigitRenderer.writeJpeg(image, file);
    assertEquals(0f, ImageFiles.read(file).pixel(8, 8), 0.02);
  }

  @Test
  void somethingElseIsAnErrorNamingTheFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("x.png");
    Files.write(file, new byte[] {1, 2, 3});
    var e = assertThrows(IOException.class, () -> ImageFiles.read(file));
    assertEquals(file + ": not a PNG, JPEG or PGM image", e.getMessage());
  }
}
