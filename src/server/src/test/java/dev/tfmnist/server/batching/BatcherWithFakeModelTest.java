package dev.tfmnist.server.batching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.TensorValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.Shape;

/**
 * The batcher against the small interface it depends on, with a model that doubles its input
 * and records the rows of every run: what is stacked, what is kept apart, what fails alone.
 */
class BatcherWithFakeModelTest {
  /** Doubles "x" into "y"; refuses negative row counts; records each run's rows. */
  private static class Doubler implements BatchModel {
    final Object key;
    final boolean batchable;
    final List<Integer> runs = Collections.synchronizedList(new ArrayList<>());
    volatile CountDownLatch gate;
    final java.util.concurrent.atomic.AtomicInteger entered = new java.util.concurrent.atomic.AtomicInteger();

    Doubler(Object key, boolean batchable) {
      this.key = key;
      this.batchable = batchable;
    }

    @Override
    public Object batchKey() {
      return key;
    }

    @Override
    public void validate(Map<String, TensorValue> inputs) {
      if (!inputs.containsKey("x")) {
        throw new InvalidInputException("missing input \"x\"");
      }
    }

    @Override
    public boolean batchable() {
      return batchable;
    }

    @Override
    public Prediction run(Map<String, TensorValue> inputs) {
      entered.incrementAndGet();
      CountDownLatch wait = gate;
      if (wait != null) {
        try {
          wait.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      float[] x = inputs.get("x").floats();
      runs.add((int) inputs.get("x").shape().get(0));
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = 2 * x[i];
      }
      return new Prediction(Map.of("y", TensorValue.ofFloats(inputs.get("x").shape(), y)));
    }
  }

  private static Map<String, TensorValue> row(float... values) {
    return Map.of("x", TensorValue.ofFloats(Shape.of(1, values.length), values));
  }

  private static BatchingOptions options(int maxBatch) {
    return BatchingOptions.builder().maxBatchSize(maxBatch).batchTimeout(Duration.ofSeconds(2))
        .build();
  }

  @Test
  void concurrentRequestsAreStackedIntoOneRunAndEachGetsItsOwnRows() throws Exception {
    var model = new Doubler("m", true);
    // a front end that always has a request on its way: the batch waits to fill up to 5 rows
    try (var batcher = new DynamicBatcher(options(5), () -> 1, rows -> {})) {
      var futures = new ArrayList<CompletableFuture<Prediction>>();
      for (int i = 1; i <= 5; i++) {
        futures.add(batcher.submit(model, row(i, -i)));
      }
      for (int i = 1; i <= 5; i++) {
        assertArrayEquals(new float[] {2 * i, -2 * i},
            futures.get(i - 1).get(10, TimeUnit.SECONDS).output("y").floats());
      }
      assertEquals(List.of(5), model.runs, "the five rows run as one batch");
      assertEquals(1, batcher.stats().batches());
    }
  }

  @Test
  void withoutATimeoutALoneRequestToAnIdleBatcherRunsAtOnceWhateverCameBefore() throws Exception {
    var model = new Doubler("m", true);
    // the front end always says another request is on its way: a batcher with a timeout waits
    var noWait = BatchingOptions.builder().maxBatchSize(8).build();
    try (var batcher = new DynamicBatcher(noWait, () -> 1, rows -> {})) {
      model.gate = new CountDownLatch(1);
      var first = CompletableFuture.supplyAsync(() -> batcher.submit(model, row(1)).join());
      waitUntil(() -> model.entered.get() == 1);  // the first request runs, held at the gate
      var queued = new ArrayList<CompletableFuture<Prediction>>();
      for (int i = 2; i <= 4; i++) {
        queued.add(batcher.submit(model, row(i)));
      }
      model.gate.countDown();
      first.get(10, TimeUnit.SECONDS);
      for (var future : queued) {
        future.get(10, TimeUnit.SECONDS);
      }
      model.gate = null;
      long start = System.nanoTime();
      assertArrayEquals(new float[] {10}, batcher.submit(model, row(5)).get(10, TimeUnit.SECONDS)
          .output("y").floats());
      long took = System.nanoTime() - start;
      assertTrue(took < 1_000_000_000L, "a lone request to an idle batcher took " + took / 1e6 + " ms");
      assertEquals(List.of(1, 3, 1), model.runs,
          "the three that came during the first run ran as one batch, the last at once");
    }
  }

  @Test
  void withATimeoutTheSameLoneRequestWaitsForCompanyAsTfServingDoes() throws Exception {
    var model = new Doubler("m", true);
    var waits = BatchingOptions.builder().maxBatchSize(8).batchTimeout(Duration.ofMillis(800)).build();
    try (var batcher = new DynamicBatcher(waits, () -> 1, rows -> {})) {
      long start = System.nanoTime();
      batcher.submit(model, row(1)).get(10, TimeUnit.SECONDS);
      long took = System.nanoTime() - start;
      assertTrue(took >= 790_000_000L, "the batch started after " + took / 1e6 + " ms, not 800");
    }
  }

  /** Polls {@code condition} for up to 10 s. */
  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean() && System.nanoTime() < end) {
      Thread.sleep(5);
    }
  }

  @Test
  void modelsWithOtherKeysOrRowShapesNeverShareABatch() throws Exception {
    var a = new Doubler("a", true);
    var b = new Doubler("b", true);
    try (var batcher = new DynamicBatcher(options(2), () -> 1, rows -> {})) {
      var fromA = batcher.submit(a, row(1, 1));
      var fromB = batcher.submit(b, row(2, 2));
      var wider = batcher.submit(a, row(3, 3, 3));
      var alsoA = batcher.submit(a, row(4, 4));
      assertArrayEquals(new float[] {2, 2}, fromA.get(10, TimeUnit.SECONDS).output("y").floats());
      assertArrayEquals(new float[] {4, 4}, fromB.get(10, TimeUnit.SECONDS).output("y").floats());
      assertArrayEquals(new float[] {6, 6, 6},
          wider.get(10, TimeUnit.SECONDS).output("y").floats());
      assertArrayEquals(new float[] {8, 8}, alsoA.get(10, TimeUnit.SECONDS).output("y").floats());
      assertEquals(List.of(1), b.runs, "b's request runs apart from a's");
      var aRuns = new ArrayList<>(a.runs);
      Collections.sort(aRuns);
      assertEquals(List.of(1, 2), aRuns, "a's two rows of width 2 together, the wider apart");
    }
  }

  @Test
  void anUnbatchableModelRunsEachRequestAloneAndBadInputsFailBeforeQueueing() throws Exception {
    var model = new Doubler("m", false);
    try (var batcher = new DynamicBatcher(options(8), () -> 1, rows -> {})) {
      var one = batcher.submit(model, row(1));
      var two = batcher.submit(model, row(2));
      assertArrayEquals(new float[] {2}, one.get(10, TimeUnit.SECONDS).output("y").floats());
      assertArrayEquals(new float[] {4}, two.get(10, TimeUnit.SECONDS).output("y").floats());
      assertEquals(List.of(1, 1), model.runs);
      assertThrows(InvalidInputException.class, () -> batcher.submit(model, Map.of()));
    }
  }

  @Test
  void aFailingRunFailsEveryRequestOfItsBatchWithTheSameError() throws Exception {
    var model = new Doubler("m", true) {
      @Override
      public Prediction run(Map<String, TensorValue> inputs) {
        super.run(inputs);
        throw new IllegalStateException("the model was closed");
      }
    };
    model.gate = new CountDownLatch(1);
    try (var batcher = new DynamicBatcher(options(8), () -> 1, rows -> {})) {
      var futures = List.of(batcher.submit(model, row(1)), batcher.submit(model, row(2)),
          batcher.submit(model, row(3)));
      model.gate.countDown();
      for (var future : futures) {
        var thrown = assertThrows(ExecutionException.class,
            () -> future.get(10, TimeUnit.SECONDS));
        assertTrue(thrown.getCause() instanceof IllegalStateException, thrown.toString());
      }
    }
  }
}
