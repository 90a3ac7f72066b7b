package dev.tfmnist.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.Shape;

class TensorValueTest {

  @Test
  void copiesInAndOut() {
    float[] data = {1, 2, 3, 4, 5, 6};
    var value = TensorValue.ofFloats(Shape.of(2, 3), data);
    data[0] = 99;
    assertEquals(1f, value.floats()[0], "the factory copied");
    value.floats()[1] = 99;
    assertEquals(2f, value.floats()[1], "the accessor copied");
    assertEquals(6, value.size());
    assertEquals(2, value.rows());
    assertEquals("float32 [2, 3]", value.describe());
  }

  @Test
  void sliceAndConcatAlongTheFirstDimension() {
    var a = TensorValue.ofLongs(Shape.of(2, 2), new long[] {1, 2, 3, 4});
    var b = TensorValue.ofLongs(Shape.of(1, 2), new long[] {5, 6});
    var both = TensorValue.concat(List.of(a, b));
    assertEquals(TensorValue.ofLongs(Shape.of(3, 2), new long[] {1, 2, 3, 4, 5, 6}), both);
    assertEquals(b, both.slice(2, 3));
    assertEquals(a, both.slice(0, 2));
    var strings = TensorValue.ofStrings(Shape.of(2), new byte[][] {{1}, {2, 3}});
    assertArrayEquals(new byte[] {2, 3}, strings.slice(1, 2).strings()[0]);
    assertThrows(IllegalArgumentException.class, () -> TensorValue.concat(
        List.of(a, TensorValue.ofLongs(Shape.of(1, 3), new long[3]))));
    assertThrows(IllegalArgumentException.class, () -> TensorValue.concat(
        List.of(a, TensorValue.ofInts(Shape.of(1, 2), new int[2]))));
  }

  @Test
  void shapeMustMatchTheData() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> TensorValue.ofFloats(Shape.of(2, 3), new float[5]));
    assertEquals("shape [2, 3] holds 6 values, got 5", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> TensorValue.ofFloats(Shape.of(-1, 3), new float[3]));
  }

  @Test
  void numbersOfAnyTypeAsFloats() {
    assertArrayEquals(new float[] {0, 255, 7},
        TensorValue.ofUint8(Shape.of(3), new byte[] {0, (byte) 255, 7}).toFloats());
    assertArrayEquals(new float[] {1, 0},
        TensorValue.ofBooleans(Shape.of(2), new boolean[] {true, false}).toFloats());
    assertThrows(IllegalStateException.class,
        () -> TensorValue.ofInts(Shape.of(1), new int[1]).floats());
  }

  @Test
  void equalityIsByContent() {
    assertEquals(TensorValue.ofDoubles(Shape.of(2), new double[] {1, 2}),
        TensorValue.ofDoubles(Shape.of(2), new double[] {1, 2}));
    assertNotEquals(TensorValue.ofDoubles(Shape.of(2), new double[] {1, 2}),
        TensorValue.ofDoubles(Shape.of(1, 2), new double[] {1, 2}));
    assertEquals(TensorValue.ofStrings(Shape.of(1), new byte[][] {{1, 2}}).hashCode(),
        TensorValue.ofStrings(Shape.of(1), new byte[][] {{1, 2}}).hashCode());
  }
}
