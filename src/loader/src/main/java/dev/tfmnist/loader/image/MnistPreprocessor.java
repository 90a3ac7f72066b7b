package dev.tfmnist.loader.image;

import java.util.Arrays;

/**
 * Turns a picture of a digit, any size and either polarity, into a 28x28 MNIST-style image: the
 * way LeCun et al. made MNIST from NIST's scans.
 *
 * <ol>
 *   <li>Polarity: MNIST digits are white on black. The median of the image's border is taken as
 *       the background; a light background means dark ink, and the image is inverted.
 *   <li>Contrast: the background maps to 0 and the brightest ink to 1.
 *   <li>Crop to the bounding box of the pixels above {@link #INK_THRESHOLD}, so that paper grain
 *       and JPEG noise do not count as ink.
 *   <li>Scale so the longer side is 20 pixels, keeping the aspect ratio: area averaging when
 *       shrinking, which gives MNIST's anti-aliased grays, bilinear when enlarging.
 *   <li>Place in a 28x28 field with the center of mass of the intensities at the center.
 * </ol>
 *
 * <p>The methods are static and thread-safe.
 */
public final class MnistPreprocessor {
  /** The side of an MNIST image, in pixels. */
  public static final int SIZE = 28;
  /** The box the digit's longer side is scaled to; the rest of the 28 pixels is margin. */
  public static final int BOX = 20;
  /** Intensities (after contrast) at or below this are background for the bounding box. */
  public static final float INK_THRESHOLD = 0.1f;
  /** The pixel index the center of mass goes to, in both directions. */
  static final int CENTER = 14;

  private MnistPreprocessor() {}

  /**
   * Turns {@code image} into an MNIST-style digit by the steps above.
   *
   * @param image a picture of one digit, any size and polarity
   * @return the 784 ({@code SIZE * SIZE}) pixels, row-major, in [0, 1], white digit on black
   * @throws IllegalArgumentException if no digit is found: the image has no contrast or no pixel
   *     above {@link #INK_THRESHOLD}
   */
  public static float[] toMnist(GrayImage image) {
    float[] ink = inkOf(image);
    int w = image.width();
    int h = image.height();
    int minX = w;
    int minY = h;
    int maxX = -1;
    int maxY = -1;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (ink[y * w + x] > INK_THRESHOLD) {
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
          minY = Math.min(minY, y);
          maxY = Math.max(maxY, y);
        }
      }
    }
    if (maxX < 0) {
      throw new IllegalArgumentException("no digit found: the image is blank");
    }
    int boxW = maxX - minX + 1;
    int boxH = maxY - minY + 1;
    double scale = (double) BOX / Math.max(boxW, boxH);
    int outW = Math.max(1, (int) Math.round(boxW * scale));
    int outH = Math.max(1, (int) Math.round(boxH * scale));
    float[] digit = scale == 1
        ? crop(ink, w, minX, minY, boxW, boxH)
        : scale < 1
            ? areaAverage(ink, w, minX, minY, boxW, boxH, outW, outH)
            : bilinear(ink, w, minX, minY, boxW, boxH, outW, outH);
    return centerByMass(digit, outW, outH);
  }

  /** Intensities as ink in [0, 1]: inverted if the background is light, stretched. */
  static float[] inkOf(GrayImage image) {
    float[] v = image.data().clone();
    float background = borderMedian(v, image.width(), image.height());
    if (background > 0.5f) {
      for (int i = 0; i < v.length; i++) {
        v[i] = 1 - v[i];
      }
      background = 1 - background;
    }
    float peak = 0;
    for (float p : v) {
      peak = Math.max(peak, p);
    }
    float range = peak - background;
    if (range <= INK_THRESHOLD) {
      throw new IllegalArgumentException("no digit found: the image has no contrast");
    }
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.max(0f, Math.min(1f, (v[i] - background) / range));
    }
    return v;
  }

  /**
   * Whether the image shows dark ink on a light background (the opposite of MNIST), judged by the
   * median of its border pixels.
   *
   * @param image any image
   * @return true when the border median is above 0.5
   */
  public static boolean isDarkOnLight(GrayImage image) {
    return borderMedian(image.data(), image.width(), image.height()) > 0.5f;
  }

  private static float borderMedian(float[] v, int w, int h) {
    float[] border = new float[h == 1 || w == 1 ? w * h : 2 * w + 2 * (h - 2)];
    int n = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (y == 0 || y == h - 1 || x == 0 || x == w - 1) {
          border[n++] = v[y * w + x];
        }
      }
    }
    Arrays.sort(border, 0, n);
    return border[n / 2];
  }

  private static float[] crop(float[] v, int w, int x0, int y0, int cw, int ch) {
    float[] out = new float[cw * ch];
    for (int y = 0; y < ch; y++) {
      System.arraycopy(v, (y0 + y) * w + x0, out, y * cw, cw);
    }
    return out;
  }

  /** Each output pixel averages the source area it covers, fractional edges weighted. */
  static float[] areaAverage(float[] v, int w, int x0, int y0, int cw, int ch, int ow, int oh) {
    double sx = (double) cw / ow;
    double sy = (double) ch / oh;
    float[] out = new float[ow * oh];
    for (int oy = 0; oy < oh; oy++) {
      double top = oy * sy;
      double bottom = top + sy;
      for (int ox = 0; ox < ow; ox++) {
        double left = ox * sx;
        double right = left + sx;
        double sum = 0;
        for (int y = (int) top; y < Math.min(ch, Math.ceil(bottom)); y++) {
          double wy = Math.min(bottom, y + 1) - Math.max(top, y);
          for (int x = (int) left; x < Math.min(cw, Math.ceil(right)); x++) {
            double wx = Math.min(right, x + 1) - Math.max(left, x);
            sum += wx * wy * v[(y0 + y) * w + x0 + x];
          }
        }
        out[oy * ow + ox] = (float) (sum / (sx * sy));
      }
    }
    return out;
  }

  /** Bilinear interpolation with pixel centers aligned, for digits smaller than the box. */
  static float[] bilinear(float[] v, int w, int x0, int y0, int cw, int ch, int ow, int oh) {
    float[] out = new float[ow * oh];
    for (int oy = 0; oy < oh; oy++) {
      double y = Math.max(0, Math.min(ch - 1, (oy + 0.5) * ch / oh - 0.5));
      int ya = (int) Math.floor(y);
      int yb = Math.min(ch - 1, ya + 1);
      double fy = y - ya;
      for (int ox = 0; ox < ow; ox++) {
        double x = Math.max(0, Math.min(cw - 1, (ox + 0.5) * cw / ow - 0.5));
        int xa = (int) Math.floor(x);
        int xb = Math.min(cw - 1, xa + 1);
        double fx = x - xa;
        double top = (1 - fx) * at(v, w, x0 + xa, y0 + ya) + fx * at(v, w, x0 + xb, y0 + ya);
        double bottom = (1 - fx) * at(v, w, x0 + xa, y0 + yb) + fx * at(v, w, x0 + xb, y0 + yb);
        out[oy * ow + ox] = (float) ((1 - fy) * top + fy * bottom);
      }
    }
    return out;
  }

  private static float at(float[] v, int w, int x, int y) {
    return v[y * w + x];
  }

  /**
   * Puts the digit into the 28x28 field so that its center of mass lands as near pixel (14, 14)
   * as whole pixels allow; anything shifted past the edge is cut. (14, 14) rather than 13.5, the
   * geometric center: MNIST's test images have their mean center of mass there.
   */
  static float[] centerByMass(float[] digit, int dw, int dh) {
    double mass = 0;
    double mx = 0;
    double my = 0;
    for (int y = 0; y < dh; y++) {
      for (int x = 0; x < dw; x++) {
        double p = digit[y * dw + x];
        mass += p;
        mx += p * x;
        my += p * y;
      }
    }
    int offsetX = (int) Math.round(CENTER - mx / mass);
    int offsetY = (int) Math.round(CENTER - my / mass);
    float[] out = new float[SIZE * SIZE];
    for (int y = 0; y < dh; y++) {
      int ty = y + offsetY;
      if (ty < 0 || ty >= SIZE) {
        continue;
      }
      for (int x = 0; x < dw; x++) {
        int tx = x + offsetX;
        if (tx >= 0 && tx < SIZE) {
          out[ty * SIZE + tx] = digit[y * dw + x];
        }
      }
    }
    return out;
  }
}
