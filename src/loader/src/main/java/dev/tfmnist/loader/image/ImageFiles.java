package dev.tfmnist.loader.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Reads PNG, JPEG (and whatever else ImageIO reads) and PGM files as grayscale images. The
 * methods are static and thread-safe.
 */
public final class ImageFiles {
  private ImageFiles() {}

  /**
   * Reads {@code file}; an unreadable or unknown file is an IOException naming it.
   *
   * @param file a PNG, JPEG, PGM or other image file ImageIO reads
   * @return its gray levels, as {@link #toGray} makes them
   * @throws IOException if the file is missing, cannot be read, or is no image this class reads
   */
  public static GrayImage read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IOException(file + ": no such file", e);
    }
    return decode(file.toString(), bytes);
  }

  /**
   * Decodes a file's bytes (PNG, JPEG, PGM, ...) read elsewhere, e.g. by Spark; an unreadable or
   * unknown image is an IOException starting with {@code name}.
   *
   * @param name what to call the image in error messages, e.g. its path
   * @param bytes the file's contents
   * @return its gray levels, as {@link #toGray} makes them
   * @throws IOException if {@code bytes} are no image this class reads, or a damaged one
   */
  public static GrayImage decode(String name, byte[] bytes) throws IOException {
    if (PgmReader.isPgm(bytes)) {
      return PgmReader.parse(name, bytes);
    }
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw new IOException(name + ": unreadable image (" + e.getMessage() + ")", e);
    }
    if (image == null) {
      throw new IOException(name + ": not a PNG, JPEG or PGM image");
    }
    return toGray(image);
  }

  /**
   * Gray levels of {@code image}. Gray images are read from the raster as stored: going through
   * getRGB would convert their linear gray to sRGB and brighten every anti-aliased edge. Colors
   * become luminance (Rec. 601). Transparent pixels are laid over white when the visible content
   * is dark, over black when it is light, so a digit drawn on a transparent canvas stays visible.
   *
   * @param image any image
   * @return its gray levels, in [0, 1]
   */
  public static GrayImage toGray(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    float[] gray = new float[w * h];
    float[] alpha = new float[w * h];
    ColorModel cm = image.getColorModel();
    Raster raster = image.getRaster();
    boolean rawGray = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
        && !(cm instanceof IndexColorModel);
    boolean hasAlpha = cm.hasAlpha();
    double grayMax = rawGray ? (1L << cm.getComponentSize(0)) - 1 : 255;
    double alphaMax = hasAlpha ? (1L << cm.getComponentSize(cm.getNumComponents() - 1)) - 1 : 1;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        if (rawGray) {
          gray[i] = (float) (raster.getSample(x, y, 0) / grayMax);
          alpha[i] = hasAlpha ? (float) (raster.getSample(x, y, 1) / alphaMax) : 1f;
        } else {
          int argb = image.getRGB(x, y);
          int r = (argb >> 16) & 0xff;
          int g = (argb >> 8) & 0xff;
          int b = argb & 0xff;
          gray[i] = (float) ((0.299 * r + 0.587 * g + 0.114 * b) / 255);
          alpha[i] = hasAlpha ? ((argb >>> 24) & 0xff) / 255f : 1f;
        }
      }
    }
    if (hasAlpha) {
      double weighted = 0;
      double weight = 0;
      for (int i = 0; i < gray.length; i++) {
        weighted += alpha[i] * gray[i];
        weight += alpha[i];
      }
      float backdrop = weight == 0 || weighted / weight < 0.5 ? 1f : 0f;
      for (int i = 0; i < gray.length; i++) {
        gray[i] = alpha[i] * gray[i] + (1 - alpha[i]) * backdrop;
      }
    }
    for (int i = 0; i < gray.length; i++) {
      gray[i] = Math.min(1f, Math.max(0f, gray[i]));
    }
    return new GrayImage(w, h, gray);
  }
}
