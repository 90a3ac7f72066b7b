package dev.tfmnist.training;

import dev.tfmnist.data.MnistSplit;
import java.awt.Color;
import java.awt.Font;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import org.tensorflow.types.TFloat32;

/** The pictures {@link TensorBoardLog} writes, drawn with Java2D. */
final class TensorBoardImages {
  /** Misclassified digits in the grid: at most this many, in rows of {@link #COLUMNS}. */
  static final int MISCLASSIFIED = 16;
  private static final int COLUMNS = 8;
  private static final int DIGIT_SCALE = 2;
  private static final int LABEL_HEIGHT = 14;
  private static final int FILTER_SCALE = 6;
  private static final int GAP = 2;

  private TensorBoardImages() {}

  /**
   * The first {@link #MISCLASSIFIED} test digits whose predicted class is not their label, each
   * with "prediction/truth" under it (e.g. {@code 3/5}); a small grey image when there is none.
   */
  static BufferedImage misclassified(MnistSplit split, int[] predicted) {
    var wrong = new int[MISCLASSIFIED];
    int count = 0;
    for (int i = 0; i < split.count() && count < MISCLASSIFIED; i++) {
      if (predicted[i] != split.label(i)) {
        wrong[count++] = i;
      }
    }
    int cell = 28 * DIGIT_SCALE;
    int columns = Math.max(1, Math.min(COLUMNS, count));
    int rows = Math.max(1, (count + COLUMNS - 1) / COLUMNS);
    var picture = new BufferedImage(columns * (cell + GAP) + GAP,
        rows * (cell + LABEL_HEIGHT + GAP) + GAP, BufferedImage.TYPE_INT_RGB);
    var g = picture.createGraphics();
    try {
      g.setColor(Color.DARK_GRAY);
      g.fillRect(0, 0, picture.getWidth(), picture.getHeight());
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
      for (int k = 0; k < count; k++) {
        int image = wrong[k];
        int left = GAP + (k % COLUMNS) * (cell + GAP);
        int top = GAP + (k / COLUMNS) * (cell + LABEL_HEIGHT + GAP);
        for (int p = 0; p < MnistSplit.PIXELS; p++) {
          int v = Math.round(split.pixel(image, p) * 255);
          g.setColor(new Color(v, v, v));
          g.fillRect(left + (p % 28) * DIGIT_SCALE, top + (p / 28) * DIGIT_SCALE, DIGIT_SCALE, DIGIT_SCALE);
        }
        g.setColor(Color.BLACK);
        g.fillRect(left, top + cell, cell, LABEL_HEIGHT);
        g.setColor(Color.ORANGE);
        g.drawString(predicted[image] + "/" + split.label(image), left + 2, top + cell + LABEL_HEIGHT - 2);
      }
    } finally {
      g.dispose();
    }
    return picture;
  }

  /**
   * conv1's filters ({@code [5, 5, 1, 32]} weights) as a grid of {@link #COLUMNS} columns, each
   * filter scaled to black..white by its own minimum and maximum.
   */
  static BufferedImage filters(TFloat32 weights) {
    int height = (int) weights.shape().get(0);
    int width = (int) weights.shape().get(1);
    int filters = (int) weights.shape().get(3);
    int rows = (filters + COLUMNS - 1) / COLUMNS;
    int cellW = width * FILTER_SCALE;
    int cellH = height * FILTER_SCALE;
    var picture = new BufferedImage(COLUMNS * (cellW + GAP) + GAP, rows * (cellH + GAP) + GAP,
        BufferedImage.TYPE_INT_RGB);
    var g = picture.createGraphics();
    try {
      g.setColor(Color.DARK_GRAY);
      g.fillRect(0, 0, picture.getWidth(), picture.getHeight());
      for (int f = 0; f < filters; f++) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int y = 0; y < height; y++) {
          for (int x = 0; x < width; x++) {
            float w = weights.getFloat(y, x, 0, f);
            min = Math.min(min, w);
            max = Math.max(max, w);
          }
        }
        float range = max > min ? max - min : 1;
        int left = GAP + (f % COLUMNS) * (cellW + GAP);
        int top = GAP + (f / COLUMNS) * (cellH + GAP);
        for (int y = 0; y < height; y++) {
          for (int x = 0; x < width; x++) {
            int v = Math.round((weights.getFloat(y, x, 0, f) - min) / range * 255);
            g.setColor(new Color(v, v, v));
            g.fillRect(left + x * FILTER_SCALE, top + y * FILTER_SCALE, FILTER_SCALE, FILTER_SCALE);
          }
        }
      }
    } finally {
      g.dispose();
    }
    return picture;
  }
}
