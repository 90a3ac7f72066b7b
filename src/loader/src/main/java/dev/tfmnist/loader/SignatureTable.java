package dev.tfmnist.loader;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Formats signatures as a fixed-width table, one line per input and output, as PredictMnist's
 * {@code --list-signatures} and ServeMnist at start show them ({@link
 * LoadedModel#signatureTable()}).
 */
public final class SignatureTable {
  private static final List<String> HEADER =
      List.of("signature", "", "key", "dtype", "shape", "tensor");

  private SignatureTable() {}

  /**
   * Formats {@code signatures}: a header, then for each signature a line per input and output with
   * its key, dtype, shape and graph tensor, in columns two spaces apart.
   *
   * @param signatures the signatures, in the order to list them
   * @return the table, each line ending with a line break
   */
  public static String format(Collection<SignatureInfo> signatures) {
    var rows = new ArrayList<List<String>>();
    rows.add(HEADER);
    for (SignatureInfo signature : signatures) {
      signature.inputs().values().forEach(spec -> rows.add(row(signature, "input", spec)));
      signature.outputs().values().forEach(spec -> rows.add(row(signature, "output", spec)));
    }
    int[] widths = new int[HEADER.size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    var out = new StringBuilder();
    for (List<String> row : rows) {
      var line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        line.append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), widths[i] + 2));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private static List<String> row(SignatureInfo signature, String kind, TensorSpec spec) {
    return List.of(signature.key(), kind, spec.key(), Dtypes.name(spec.dtype()),
        TensorSpec.format(spec.shape()), spec.tensorName());
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(Math.max(0, width - s.length()));
  }
}
