package dev.tfmnist.server.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.models.VersionStatus.State;
import dev.tfmnist.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.ndarray.Shape;

/** Versions coming and going in a real base directory, with real SavedModels. */
class ModelManagerTest {
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());

  /** A manager that polls only when the test says so (refresh), to check each step. */
  private ModelManager manager(ModelConfig config) {
    return ModelManager.builder(LoadedModel::load)
        .pollInterval(Duration.ZERO)
        .events(events::add)
        .start(List.of(config));
  }

  private static long classify(Servable servable) {
    float[] seven = TestModels.testImages(0, 1);
    return servable.predictor("serving_default")
        .predict(TensorValue.ofFloats(Shape.of(1, 784), seven)).output("classes").longs()[0];
  }

  @Test
  void aVersionRenamedIntoPlaceReplacesTheOldOneWhichClosesAfterItsLastRequest(
      @TempDir Path base) {
    VersionDirs.add(base, "1");
    try (var models = manager(ModelConfig.of("mnist", base))) {
      assertEquals(Set.of(1L), models.servingVersions("mnist"));
      Servable held = models.acquire(VersionRequest.latest("mnist"));  // a request in flight
      assertEquals(1, held.version());

      // half-copied: a hidden staging directory, and a numbered one without saved_model.pb yet
      VersionDirs.copy(TestModels.tf1ModelVersion(), base.resolve(".copying-2"));
      assertTrue(base.resolve("3").toFile().mkdir());
      models.refresh();
      assertEquals(Set.of(1L), models.servingVersions("mnist"), "half-copied versions ignored");

      VersionDirs.add(base, "00000004");  // zero padding is version 4
      models.refresh();
      assertEquals(Set.of(4L), models.servingVersions("mnist"));
      try (Servable latest = models.acquire(VersionRequest.latest("mnist"))) {
        assertEquals(4, latest.version());
        assertEquals(7, classify(latest));
      }
      assertEquals(List.of(new VersionStatus(4, State.AVAILABLE, java.util.Optional.empty()),
          new VersionStatus(1, State.UNLOADING, java.util.Optional.empty())),
          models.status(VersionRequest.latest("mnist")));
      assertFalse(held.model().isClosed(), "version 1 waits for its request");
      assertEquals(7, classify(held), "the request on version 1 still runs");
      var thrown = assertThrows(ServingException.class,
          () -> models.acquire(VersionRequest.version("mnist", 1)));
      assertEquals(ServingException.Code.NOT_FOUND, thrown.code());
      assertEquals("Servable not found for request: Specific(mnist, 1)", thrown.getMessage());

      held.close();
      assertTrue(held.model().isClosed(), "version 1 closed with its last request");
      assertEquals(State.END, models.status(VersionRequest.version("mnist", 1)).get(0).state());
      assertTrue(events.contains("Unloaded mnist version 1"), events.toString());
    }
  }

  @Test
  void policiesChooseTheVersionsAndLabelsNameThem(@TempDir Path base) {
    for (String v : List.of("1", "2", "3")) {
      VersionDirs.add(base, v);
    }
    var config = ModelConfig.of("mnist", base);
    try (var models = manager(config)) {
      assertEquals(Set.of(3L), models.servingVersions("mnist"), "default: the latest");
      models.reconfigure(List.of(config.withPolicy(VersionPolicy.latest(2))));
      assertEquals(Set.of(2L, 3L), models.servingVersions("mnist"));
      models.reconfigure(List.of(config.withPolicy(VersionPolicy.specific(List.of(1L, 3L, 9L)))));
      assertEquals(Set.of(1L, 3L), models.servingVersions("mnist"));
      models.reconfigure(List.of(config.withPolicy(VersionPolicy.all())
          .withLabels(Map.of("stable", 1L, "canary", 3L))));
      assertEquals(Set.of(1L, 2L, 3L), models.servingVersions("mnist"));
      try (var stable = models.acquire(VersionRequest.label("mnist", "stable"));
          var canary = models.acquire(VersionRequest.label("mnist", "canary"))) {
        assertEquals(1, stable.version());
        assertEquals(3, canary.version());
      }
      var unknown = assertThrows(ServingException.class,
          () -> models.acquire(VersionRequest.label("mnist", "beta")));
      assertEquals(ServingException.Code.INVALID_ARGUMENT, unknown.code());
      assertEquals("Unrecognized servable version label: beta", unknown.getMessage());

      models.reconfigure(List.of());
      assertEquals(Set.of(), models.models(), "a model left out of the config is removed");
      var gone = assertThrows(ServingException.class,
          () -> models.acquire(VersionRequest.latest("mnist")));
      assertEquals(ServingException.Code.NOT_FOUND, gone.code());
    }
  }

  @Test
  void aVersionThatFailsToLoadShowsItsErrorAndTheOldOneGoesOnServing(@TempDir Path base) {
    VersionDirs.add(base, "1");
    try (var models = manager(ModelConfig.of("mnist", base))) {
      VersionDirs.addBroken(base, "2");
      models.refresh();
      assertEquals(Set.of(1L), models.servingVersions("mnist"));
      var statuses = models.status(VersionRequest.latest("mnist"));
      assertEquals(2, statuses.get(0).version());
      assertEquals(State.END, statuses.get(0).state());
      assertTrue(statuses.get(0).error().orElseThrow().contains(base.resolve("2").toString()),
          statuses.toString());
      assertEquals(new VersionStatus(1, State.AVAILABLE, java.util.Optional.empty()),
          statuses.get(1));
      try (var servable = models.acquire(VersionRequest.latest("mnist"))) {
        assertEquals(7, classify(servable));
      }
      models.refresh();  // not retried every poll
      assertEquals(1, events.stream().filter(e -> e.startsWith("Failed to load mnist version 2"))
          .count(), events.toString());

      VersionDirs.add(base, "3");  // a good newer version replaces both
      models.refresh();
      assertEquals(Set.of(3L), models.servingVersions("mnist"));
    }
  }

  @Test
  void thePollerFindsNewVersionsByItself(@TempDir Path base) throws Exception {
    VersionDirs.add(base, "1");
    try (var models = ModelManager.builder(LoadedModel::load)
        .pollInterval(Duration.ofMillis(100))
        .start(List.of(ModelConfig.of("mnist", base)))) {
      VersionDirs.add(base, "2");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!models.servingVersions("mnist").equals(new TreeSet<>(Set.of(2L)))
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(Set.of(2L), models.servingVersions("mnist"));
    }
  }

  @Test
  void unknownModelsAndEmptyBaseDirectoriesAreNotFound(@TempDir Path base) throws Exception {
    Files.createDirectories(base.resolve("empty"));
    try (var models = manager(ModelConfig.of("empty", base.resolve("empty")))) {
      var none = assertThrows(ServingException.class,
          () -> models.acquire(VersionRequest.latest("empty")));
      assertEquals(ServingException.Code.NOT_FOUND, none.code());
      assertTrue(none.getMessage().contains("no versions of model empty found under base path"),
          none.getMessage());
      var unknown = assertThrows(ServingException.class,
          () -> models.status(VersionRequest.latest("other")));
      assertEquals("Servable not found for request: Latest(other)", unknown.getMessage());
    }
  }

  @Test
  void anEditedConfigFileIsAppliedAtTheNextReread(@TempDir Path dir) throws Exception {
    VersionDirs.add(dir.resolve("a"), "1");
    VersionDirs.add(dir.resolve("b"), "3");
    Path file = dir.resolve("models.config");
    Files.writeString(file, "model_config_list { config { name: 'a' base_path: 'a' } }");
    var config = new ModelConfigFile(file);
    var configs = config.read();
    try (var models = ModelManager.builder(LoadedModel::load)
        .pollInterval(Duration.ZERO)
        .configSource(config.changes(configs, events::add), Duration.ofMillis(100))
        .start(configs)) {
      assertEquals(Set.of("a"), models.models());
      Files.writeString(file, "model_config_list { config { name: 'a' base_path: 'a' }"
          + " config { name: 'b' base_path: 'b' } }");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!models.servingVersions("b").equals(Set.of(3L)) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(Set.of(3L), models.servingVersions("b"), events.toString());
      assertEquals(Set.of(1L), models.servingVersions("a"), "a untouched");
    }
  }

  @Test
  void aNewBasePathServesItsOwnVersionsEvenWithTheSameNumbers(@TempDir Path dir) {
    VersionDirs.add(dir.resolve("a"), "1");
    VersionDirs.add(dir.resolve("b"), "1");
    var config = ModelConfig.of("mnist", dir.resolve("a"));
    try (var models = manager(config)) {
      LoadedModel before;
      try (var servable = models.acquire(VersionRequest.latest("mnist"))) {
        before = servable.model();
        assertEquals(dir.resolve("a").resolve("1"), before.directory());
      }
      models.reconfigure(List.of(ModelConfig.of("mnist", dir.resolve("b"))));
      try (var servable = models.acquire(VersionRequest.latest("mnist"))) {
        assertEquals(dir.resolve("b").resolve("1"), servable.model().directory());
        assertEquals(7, classify(servable));
      }
      assertTrue(before.isClosed(), "the old directory's version was unloaded");
    }
  }

  @Test
  void aBaseDirectoryThatLooksEmptyForAMomentKeepsItsVersionServing(@TempDir Path base)
      throws Exception {
    VersionDirs.add(base, "1");
    try (var models = manager(ModelConfig.of("mnist", base))) {
      // replaced in place: moved away while the new copy is made
      Files.move(base.resolve("1"), base.resolve(".old-1"));
      models.refresh();
      assertEquals(Set.of(1L), models.servingVersions("mnist"), "still served");
      try (var servable = models.acquire(VersionRequest.latest("mnist"))) {
        assertEquals(7, classify(servable));
      }
    }
  }
}
