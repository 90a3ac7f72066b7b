package dev.tfmnist.server.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.testing.TestModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The loader step with a loader that fails on demand, and the one warm-up on a real model. */
class VersionLoadingTest {
  private static final Path DIR = Path.of("/models/m/1");

  @Test
  void aFailedVersionWaitsForItsRetryIntervalAndIsTriedAfreshOnceItLeaves() {
    var calls = new AtomicInteger();
    var loading = new VersionLoading(dir -> {
      calls.incrementAndGet();
      throw new IOException(dir + ": not a SavedModel");
    }, 1);
    assertTrue(loading.shouldTry(1));
    var thrown = assertThrows(IOException.class, () -> loading.load(1, DIR));
    assertEquals(DIR + ": not a SavedModel", thrown.getMessage());
    assertFalse(loading.shouldTry(1), "tried again before a minute passed");
    assertTrue(loading.shouldTry(2), "another version is not held back");
    loading.retainOnly(Set.of(2L));  // version 1 left the disk or the policy
    assertTrue(loading.shouldTry(1));
    assertEquals(1, calls.get());
  }

  @Test
  void aLoadedVersionIsWarmedUpOnEverySignatureAtEachBatchSize() throws Exception {
    var loading = new VersionLoading(LoadedModel::load, 4);
    var loaded = loading.load(1, TestModels.tf1Model());
    try (LoadedModel model = loaded.model()) {
      int signatures = model.signatures().size();
      assertEquals(4 * signatures, loaded.warmUpRuns(), "rows 1..4 on each signature");
      assertTrue(loaded.took().toNanos() > 0);
      assertTrue(loading.shouldTry(1));
      assertEquals(loaded.warmUpRuns(), WarmUp.run(model, 4), "one warm-up, the same everywhere");
      assertEquals(0, WarmUp.run(model, 0));
    }
  }
}
