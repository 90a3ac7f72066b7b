package dev.tfmnist.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchSamplerTest {
  /**
   * Fixed output for seed 42, so that any change of the algorithm shows up here. The same values
   * come out of an independent Python reimplementation of java.util.Random and the documented
   * Fisher–Yates loop, which is what the Python side of the project will rely on.
   */
  @Test
  void goldenSequenceForSeed42() {
    BatchSampler sampler = new BatchSampler(10, 42);
    int[][] expected = {
      {4, 6, 2, 1}, {7, 9, 8, 5}, {3, 0, 5, 7}, {9, 3, 6, 8}, {4, 0, 2, 1}, {4, 6, 5, 8}
    };
    for (int[] batch : expected) {
      assertArrayEquals(batch, sampler.next(4));
    }
    BatchSampler mnist = new BatchSampler(55000, 1234);
    int[] batch = null;
    for (int step = 0; step < 1100; step++) {
      batch = mnist.next(100);
    }
    assertArrayEquals(new int[] {48531, 34327, 4545, 3185, 54152}, Arrays.copyOf(batch, 5));
    assertEquals(1, mnist.epoch());
  }

  @Test
  void followsTheDocumentedShuffle() {
    long seed = 7;
    int n = 10;
    // Reference straight from the class javadoc: one Random, in-place Fisher–Yates per epoch.
    Random random = new Random(seed);
    int[] order = new int[n];
    Arrays.setAll(order, i -> i);
    shuffle(order, random);
    int[] epoch0 = order.clone();
    shuffle(order, random);
    int[] epoch1 = order.clone();

    BatchSampler sampler = new BatchSampler(n, seed);
    assertArrayEquals(Arrays.copyOfRange(epoch0, 0, 4), sampler.next(4));
    assertArrayEquals(Arrays.copyOfRange(epoch0, 4, 8), sampler.next(4));
    assertEquals(0, sampler.epoch());
    // Crossing: the last 2 of epoch 0, then the first 2 of epoch 1's order.
    assertArrayEquals(new int[] {epoch0[8], epoch0[9], epoch1[0], epoch1[1]}, sampler.next(4));
    assertEquals(1, sampler.epoch());
    assertEquals(2, sampler.position());
    assertArrayEquals(Arrays.copyOfRange(epoch1, 2, 6), sampler.next(4));
  }

  @Test
  void reshufflesOnlyWhenABatchCrossesTheEnd() {
    BatchSampler sampler = new BatchSampler(10, 3);
    int[] first = sampler.next(5);
    int[] second = sampler.next(5);
    // TF1 uses start + batch_size > n: ending exactly at n does not complete the epoch yet.
    assertEquals(0, sampler.epoch());
    assertEquals(10, sampler.position());
    int[] third = sampler.next(5);
    assertEquals(1, sampler.epoch());
    assertEquals(5, sampler.position());
    assertEquals(10, distinct(concat(first, second)));
    assertEquals(5, distinct(third));
  }

  @Test
  void everyIndexOncePerEpochWhenTheBatchDividesN() {
    int n = 1000;
    BatchSampler sampler = new BatchSampler(n, 99);
    int[] previous = null;
    for (int epoch = 0; epoch < 3; epoch++) {
      int[] all = new int[0];
      for (int b = 0; b < 10; b++) {
        all = concat(all, sampler.next(100));
      }
      int[] sorted = all.clone();
      Arrays.sort(sorted);
      int[] identity = new int[n];
      Arrays.setAll(identity, i -> i);
      assertArrayEquals(identity, sorted, "epoch " + epoch);
      assertFalse(Arrays.equals(identity, all), "epoch " + epoch + " is shuffled");
      if (previous != null) {
        assertFalse(Arrays.equals(previous, all), "epoch " + epoch + " is reshuffled");
      }
      previous = all;
    }
  }

  @Test
  void sameSeedSameBatchesDifferentSeedDifferentBatches() {
    BatchSampler a = new BatchSampler(55000, 1);
    BatchSampler b = new BatchSampler(55000, 1);
    BatchSampler c = new BatchSampler(55000, 2);
    boolean differs = false;
    for (int step = 0; step < 1200; step++) { // crosses two epoch ends
      int[] batchA = a.next(100);
      assertArrayEquals(batchA, b.next(100), "step " + step);
      differs |= !Arrays.equals(batchA, c.next(100));
    }
    assertEquals(2, a.epoch());
    assertTrue(differs);
    assertFalse(
        Arrays.equals(new BatchSampler(100, 1).next(100), new BatchSampler(100, 2).next(100)));
  }

  @Test
  void restoredSamplerContinuesIdentically() {
    for (int steps : new int[] {0, 1, 2, 3, 7, 25}) {
      BatchSampler original = new BatchSampler(10, 5);
      for (int i = 0; i < steps; i++) {
        original.next(4);
      }
      BatchSamplerState state = original.state();
      assertEquals(new BatchSamplerState(10, 5, original.epoch(), original.position()), state);
      BatchSampler restored = BatchSampler.restore(state);
      assertEquals(state, restored.state());
      for (int i = 0; i < 30; i++) {
        int size = 1 + i % 10; // mixed sizes, several epoch crossings
        assertArrayEquals(original.next(size), restored.next(size), steps + " steps, then " + i);
      }
      assertEquals(original.state(), restored.state());
    }
  }

  @Test
  void fillingAnArrayMatchesNext() {
    BatchSampler a = new BatchSampler(37, 11);
    BatchSampler b = new BatchSampler(37, 11);
    int[] batch = new int[8];
    for (int i = 0; i < 20; i++) {
      b.next(batch);
      assertArrayEquals(a.next(8), batch);
    }
  }

  @Test
  void refusesImpossibleArguments() {
    assertThrows(IllegalArgumentException.class, () -> new BatchSampler(0, 1));
    BatchSampler sampler = new BatchSampler(10, 1);
    assertThrows(IllegalArgumentException.class, () -> sampler.next(0));
    assertThrows(IllegalArgumentException.class, () -> sampler.next(11));
    assertThrows(IllegalArgumentException.class, () -> sampler.next(new int[0]));
    assertEquals(10, distinct(sampler.next(10)));
    assertThrows(IllegalArgumentException.class, () -> new BatchSamplerState(10, 1, 0, 11));
    assertThrows(IllegalArgumentException.class, () -> new BatchSamplerState(10, 1, -1, 0));
  }

  private static void shuffle(int[] order, Random random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }

  private static int distinct(int[] values) {
    return (int) Arrays.stream(values).distinct().count();
  }

  private static int[] concat(int[] a, int[] b) {
    int[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
