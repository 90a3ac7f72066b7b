package dev.tfmnist.server.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * TensorFlow Serving reads the non-finite numbers {@code NaN}, {@code Inf}, {@code Infinity},
 * {@code -Inf} and {@code -Infinity} (RapidJSON's spellings); Jackson reads all but {@code Inf}.
 * This spells a bare {@code Inf} out as {@code Infinity} before Jackson reads the body, and leaves
 * strings and everything else as they are.
 */
final class NonFiniteNumbers {
  private static final byte[] INF = "Inf".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] INFINITY = "Infinity".getBytes(StandardCharsets.US_ASCII);

  private NonFiniteNumbers() {}

  static byte[] spellOut(byte[] json) {
    if (indexOf(json, INF, 0) < 0) {
      return json;  // the common case: nothing to look at
    }
    var out = new ByteArrayOutputStream(json.length + 16);
    boolean inString = false;
    for (int i = 0; i < json.length; i++) {
      byte b = json[i];
      if (inString) {
        out.write(b);
        if (b == '\\' && i + 1 < json.length) {
          out.write(json[++i]);
        } else if (b == '"') {
          inString = false;
        }
      } else if (b == '"') {
        inString = true;
        out.write(b);
      } else if (b == 'I' && startsWith(json, i, INF) && !letterAt(json, i + INF.length)) {
        out.writeBytes(INFINITY);
        i += INF.length - 1;
      } else {
        out.write(b);
      }
    }
    return out.toByteArray();
  }

  private static boolean startsWith(byte[] json, int at, byte[] word) {
    if (at + word.length > json.length) {
      return false;
    }
    for (int k = 0; k < word.length; k++) {
      if (json[at + k] != word[k]) {
        return false;
      }
    }
    return true;
  }

  private static boolean letterAt(byte[] json, int at) {
    return at < json.length && Character.isLetter(json[at]);
  }

  private static int indexOf(byte[] json, byte[] word, int from) {
    for (int i = from; i <= json.length - word.length; i++) {
      if (startsWith(json, i, word)) {
        return i;
      }
    }
    return -1;
  }
}
