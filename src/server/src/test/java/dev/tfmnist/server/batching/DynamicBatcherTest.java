package dev.tfmnist.server.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.testing.Concurrently;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tensorflow.ndarray.Shape;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DynamicBatcherTest {
  private LoadedModel mnist;
  private Predictor predictor;

  @BeforeAll
  void load() throws IOException {
    mnist = LoadedModel.load(TestModels.tf1Model());
    predictor = mnist.predictor();
  }

  @AfterAll
  void close() {
    mnist.close();
  }

  private static TensorValue image(float[] images, int i) {
    return TensorValue.ofFloats(Shape.of(1, 784), Arrays.copyOfRange(images, i * 784, i * 784 + 784));
  }

  @Test
  void concurrentRequestsShareBatchesAndEachGetsItsOwnRows() throws Exception {
    int threads = 16;
    int each = 40;
    float[] images = TestModels.testImages(0, threads * each);
    long[] expected = predictor.predict(TensorValue.ofFloats(Shape.of(threads * each, 784), images))
        .output("classes").longs();
    var options = BatchingOptions.builder().maxBatchSize(8).batchTimeout(Duration.ofMillis(5)).build();
    try (var batcher = new DynamicBatcher(options)) {
      List<Integer> wrong = Concurrently.onThreads(threads, thread -> {
        int mismatches = 0;
        for (int k = 0; k < each; k++) {
          int i = thread * each + k;
          Prediction p = batcher.submit(predictor, Map.of("xs", image(images, i))).get();
          assertEquals(1, p.output("classes").rows());
          assertEquals(Shape.of(1, 10).asArray()[1], p.output("probabilities").shape().get(1));
          mismatches += p.output("classes").longs()[0] == expected[i] ? 0 : 1;
        }
        return mismatches;
      });
      assertEquals(java.util.Collections.nCopies(threads, 0), wrong,
          "answers that went to the wrong caller or differ");
      BatchStats stats = batcher.stats();
      assertEquals(threads * each, stats.requests());
      assertEquals(threads * each, stats.batchSizes().entrySet().stream()
          .mapToLong(e -> e.getKey() * e.getValue()).sum(), "every row ran once");
      assertTrue(stats.batchesLargerThanOne() > 0, "no batch larger than 1: " + stats);
      assertTrue(stats.largestBatch() <= 8, "max batch size exceeded: " + stats);
      System.out.println("16 threads x 40 requests: " + stats);
    }
  }

  @Test
  void aLoneRequestWaitsForCompanyOnlyWhileOthersAreArriving() throws Exception {
    var options = BatchingOptions.builder().batchTimeout(Duration.ofSeconds(2)).build();
    var input = TensorValue.ofFloats(Shape.of(1, 784), TestModels.testImages(0, 1));
    var arriving = new java.util.concurrent.atomic.AtomicInteger();
    try (var batcher = new DynamicBatcher(options, arriving::get, rows -> {})) {
      batcher.submit(predictor, Map.of("xs", input)).get();  // the first run sets TensorFlow up
      long t0 = System.nanoTime();
      batcher.submit(predictor, Map.of("xs", input)).get();
      long alone = System.nanoTime() - t0;

      arriving.set(1);  // a request the front end is still parsing, which never comes
      t0 = System.nanoTime();
      batcher.submit(predictor, Map.of("xs", input)).get();
      long waited = System.nanoTime() - t0;

      // a batch-1 prediction takes about a millisecond: far from the 2 s timeout either way
      assertTrue(alone < 1_000_000_000L, "nobody arriving, yet the request took " + alone / 1e6 + " ms");
      assertTrue(waited >= 1_990_000_000L, "someone arriving, yet the batch started after "
          + waited / 1e6 + " ms instead of the 2 s timeout");
    }
  }

  @Test
  void aRequestLargerThanTheMaximumRunsAlone() throws Exception {
    var options = BatchingOptions.builder().maxBatchSize(4).build();
    try (var batcher = new DynamicBatcher(options)) {
      var input = TensorValue.ofFloats(Shape.of(10, 784), TestModels.testImages(0, 10));
      Prediction p = batcher.submit(predictor, Map.of("xs", input)).get();
      assertEquals(10, p.output("classes").rows());
      assertEquals(Map.of(10, 1L), batcher.stats().batchSizes());
    }
  }

  @Test
  void invalidInputIsRefusedAtOnceAndOthersStillRun() throws Exception {
    try (var batcher = new DynamicBatcher(BatchingOptions.DEFAULT)) {
      var bad = TensorValue.ofFloats(Shape.of(1, 783), new float[783]);
      assertThrows(InvalidInputException.class, () -> batcher.submit(predictor, Map.of("xs", bad)));
      var good = image(TestModels.testImages(0, 1), 0);
      assertEquals(7, batcher.submit(predictor, Map.of("xs", good)).get()
          .output("classes").longs()[0]);
    }
  }

  @Test
  void closeFinishesWhatIsQueuedAndRefusesMore() throws Exception {
    float[] images = TestModels.testImages(0, 50);
    var batcher = new DynamicBatcher(BatchingOptions.builder().maxBatchSize(4)
        .batchTimeout(Duration.ofMillis(20)).maxEnqueuedBatches(13).build());
    var futures = new ArrayList<CompletableFuture<Prediction>>();
    for (int i = 0; i < 50; i++) {
      futures.add(batcher.submit(predictor, Map.of("xs", image(images, i))));
    }
    batcher.close();
    for (var f : futures) {
      assertEquals(1, f.get().output("classes").rows(), "queued request finished");
    }
    var e = assertThrows(IllegalStateException.class,
        () -> batcher.submit(predictor, Map.of("xs", image(images, 0))));
    assertEquals("the batcher is shutting down", e.getMessage());
  }

  @Test
  void signaturesWithoutABatchDimensionRunEachRequestAlone() throws Exception {
    try (var identity = LoadedModel.load(TestModels.identityModel());
        var batcher = new DynamicBatcher(BatchingOptions.DEFAULT)) {
      Predictor scalar = identity.predictor("scalar");
      List<CompletableFuture<Prediction>> results = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        results.add(batcher.submit(scalar,
            Map.of("x", TensorValue.ofFloats(Shape.scalar(), new float[] {i}))));
      }
      for (int i = 0; i < 3; i++) {
        assertEquals(2f * i, results.get(i).get().output("y").floats()[0]);
      }
      assertEquals(3, batcher.stats().batches());
    }
  }

  @Test
  void aFullQueueRefusesRequestsWithTfServingsMessageAndRunsTheOthers() throws Exception {
    // The first request waits up to 10 s for company; requests for another output set cannot
    // join its batch, so they queue: 2 batches of 4 rows may wait, the rest are refused.
    var options = BatchingOptions.builder().maxBatchSize(4).batchTimeout(Duration.ofSeconds(10))
        .maxEnqueuedBatches(2).build();
    float[] images = TestModels.testImages(0, 20);
    Predictor classesOnly = predictor.withOutputs("classes");
    var batcher = new DynamicBatcher(options);
    var accepted = new ArrayList<CompletableFuture<Prediction>>();
    accepted.add(batcher.submit(predictor, Map.of("xs", image(images, 0))));
    var refusals = new ArrayList<String>();
    for (int i = 1; i < 20; i++) {
      try {
        accepted.add(batcher.submit(classesOnly, Map.of("xs", image(images, i))));
      } catch (QueueFullException e) {
        refusals.add(e.getMessage());
      }
    }
    batcher.close();  // ends the 10 s wait: everything accepted runs
    assertTrue(accepted.size() >= 8 && accepted.size() <= 9, "accepted " + accepted.size());
    assertEquals(20 - accepted.size(), refusals.size());
    assertEquals("The batch scheduling queue to which this task was submitted is full; currently 2"
        + " batches enqueued and max_enqueued_batches is 2", refusals.get(0));
    for (var f : accepted) {
      assertEquals(1, f.get().output("classes").rows());
    }
  }

  @Test
  void aRequestCancelledWhileQueuedNeverRuns() throws Exception {
    var options = BatchingOptions.builder().maxBatchSize(4).batchTimeout(Duration.ofSeconds(10))
        .build();
    float[] images = TestModels.testImages(0, 2);
    var batcher = new DynamicBatcher(options);
    var first = batcher.submit(predictor, Map.of("xs", image(images, 0)));
    var cancelled = batcher.submit(predictor.withOutputs("classes"),
        Map.of("xs", image(images, 1)));
    assertTrue(cancelled.cancel(false));
    batcher.close();
    assertEquals(1, first.get().output("classes").rows());
    assertEquals(1, batcher.stats().batches(), "the cancelled request did not run");
  }
}
