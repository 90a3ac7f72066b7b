package dev.tfmnist.loader.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PgmReaderTest {

  private static GrayImage parse(String text) throws IOException {
    return PgmReader.parse("t.pgm", text.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void asciiWithComments() throws IOException {
    GrayImage image = parse("P2\n# made by hand\n3 2 # width height\n4\n0 1 2\n3 4 0\n");
    assertEquals(3, image.width());
    assertEquals(2, image.height());
    assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f, 1, 0}, image.pixels());
  }

  @Test
  void binaryEightAndSixteenBit() throws IOException {
    GrayImage eight = parse("P5 2 1 255\n\u0000\u00ff");
    assertArrayEquals(new float[] {0, 1}, eight.pixels());
    GrayImage sixteen = parse("P5\n2 1\n65535\n\u0000\u0000\u00ff\u00ff");
    assertArrayEquals(new float[] {0, 1}, sixteen.pixels());
    GrayImage middle = parse("P5\n1 1\n1000\n\u0001\u00f4");  // 500 of 1000
    assertEquals(0.5f, middle.pixel(0, 0));
  }

  @Test
  void errorsNameTheFileAndWhatIsWrong() {
    assertMessage("t.pgm: expected 4 samples (4 bytes) for 2x2, found 2 bytes", "P5\n2 2\n255\nab");
    assertMessage("t.pgm: expected 4 samples for 2x2, found 3", "P2\n2 2\n255\n1 2 3");
    assertMessage("t.pgm: sample 1 is 300, above the maximum value 255", "P2\n2 1\n255\n1 300");
    assertMessage("t.pgm: width is \"x\", expected a number", "P2\nx 1\n255\n1");
    assertMessage("t.pgm: maximum value is 0, expected 1..65535", "P2\n1 1\n0\n0");
    assertMessage("t.pgm: not a PGM file: it does not start with P2 or P5", "P6\n1 1\n255\n000");
    assertMessage("t.pgm: the header ends before the height", "P2 3");
  }

  private static void assertMessage(String expected, String file) {
    var e = assertThrows(IOException.class, () -> parse(file));
    assertEquals(expected, e.getMessage());
  }
}
