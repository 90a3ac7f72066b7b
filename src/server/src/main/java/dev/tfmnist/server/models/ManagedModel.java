package dev.tfmnist.server.models;

import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.models.VersionStatus.State;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * One model of a {@link ModelManager}: its config, the versions serving now and every version's
 * status, kept in line with what its file-system source lists and its policy wants. New versions
 * are loaded before old ones are unloaded, so the model is never without one.
 */
final class ManagedModel {
  volatile ModelConfig config;
  final boolean fixed;  // one LoadedModel given by the caller: never polled, never closed
  final NavigableMap<Long, LoadedVersion> serving = new ConcurrentSkipListMap<>();
  final Map<Long, VersionStatus> statuses = new ConcurrentHashMap<>();
  final VersionLoading loading;
  volatile String baseDirectoryProblem;
  /** Whether the base directory was listed at least once: before, nothing is known of it. */
  volatile boolean listed;

  ManagedModel(ModelConfig config, boolean fixed, VersionLoading loading) {
    this.config = config;
    this.fixed = fixed;
    this.loading = loading;
  }

  /**
   * Lists the base directory once, loads the versions the policy wants that are not serving yet
   * and unloads those it no longer wants; {@code event} gets a line for each load, failure and
   * unload. Called with the manager's refresh lock.
   */
  void refresh(Consumer<String> event) {
    FileSystemSource.Listing listing = FileSystemSource.list(config);
    baseDirectoryProblem = listing.problem().orElse(null);
    listed = true;
    if (!listing.readable()) {
      return;  // keep serving what is loaded: a base directory on a network file system may blink
    }
    SortedSet<Long> wanted = listing.aspired();
    loading.retainOnly(wanted);  // a version that left may be tried again
    for (long version : wanted) {
      if (!serving.containsKey(version) && loading.shouldTry(version)) {
        load(version, listing.versions().get(version), event);
      }
    }
    if (wanted.isEmpty()) {
      return;  // nothing the policy takes is on disk (yet): keep serving what is loaded
    }
    // A wanted version that failed to load leaves its place to the highest version serving
    // outside the policy: a broken new version never takes the old one down with it.
    long missing = wanted.stream().filter(v -> !serving.containsKey(v)).count();
    var keep = new TreeSet<>(wanted);
    for (long version : serving.descendingKeySet()) {
      if (missing == 0) {
        break;
      }
      if (keep.add(version)) {
        missing--;
      }
    }
    for (long version : new ArrayList<>(serving.keySet())) {
      if (!keep.contains(version)) {
        unload(version, event);
      }
    }
  }

  private void load(long version, Path dir, Consumer<String> event) {
    String name = config.name();
    statuses.put(version, VersionStatus.of(version, State.LOADING));
    VersionLoading.Loaded loaded;
    try {
      loaded = loading.load(version, dir);
    } catch (IOException | RuntimeException e) {
      String error = e.getMessage() == null ? e.toString() : e.getMessage();
      statuses.put(version, VersionStatus.failed(version, error));
      event.accept("Failed to load " + name + " version " + version + ": " + error);
      return;
    } catch (Error e) {
      statuses.put(version, VersionStatus.failed(version, e.toString()));
      throw e;
    }
    serving.put(version, new LoadedVersion(name, version, loaded.model(), true));
    statuses.put(version, VersionStatus.of(version, State.AVAILABLE));
    event.accept(String.format(java.util.Locale.ROOT, "Loaded %s version %d in %.2f s%s",
        name, version, loaded.took().toNanos() / 1e9, loaded.warmUpRuns() > 0
            ? " (warmed up with " + loaded.warmUpRuns() + " runs on zeros)" : ""));
  }

  /**
   * Takes a version out of service: it takes no new requests and closes once those running on
   * it finish; then its status becomes END and {@code event} gets a line.
   */
  void unload(long version, Consumer<String> event) {
    LoadedVersion loaded = serving.remove(version);
    if (loaded == null) {
      return;
    }
    String name = loaded.name();
    VersionStatus unloading = VersionStatus.of(version, State.UNLOADING);
    statuses.put(version, unloading);
    loaded.retire(() -> {
      // a copy of the same version loaded again meanwhile keeps its own status
      statuses.replace(version, unloading, VersionStatus.of(version, State.END));
      event.accept("Unloaded " + name + " version " + version);
    });
  }

  /** Unloads every version serving. */
  void unloadAll(Consumer<String> event) {
    serving.keySet().forEach(v -> unload(v, event));
  }

  /** Every version's status, highest version first. */
  List<VersionStatus> statusesNewestFirst() {
    return statuses.values().stream()
        .sorted(Comparator.comparingLong(VersionStatus::version).reversed()).toList();
  }

  /**
   * One version's status, or every version's, highest first; NOT_FOUND when there is none, as
   * TF Serving's GetModelStatus.
   */
  List<VersionStatus> status(OptionalLong number) {
    if (number.isPresent()) {
      VersionStatus status = statuses.get(number.getAsLong());
      if (status == null) {
        throw ServingException.notFound("Could not find version " + number.getAsLong()
            + " of model " + config.name());
      }
      return List.of(status);
    }
    var all = statusesNewestFirst();
    if (all.isEmpty()) {
      throw ServingException.notFound("Could not find any versions of model " + config.name()
          + (baseDirectoryProblem != null ? " (" + baseDirectoryProblem + ")" : ""));
    }
    return all;
  }

  /** The load error of the highest version that has one. */
  Optional<String> firstLoadError() {
    return statusesNewestFirst().stream().map(VersionStatus::error).flatMap(Optional::stream)
        .findFirst();
  }

  /** Why the model cannot answer now (see {@link ModelManager#unavailableReason}). */
  Optional<String> unavailableReason() {
    if (!serving.isEmpty()) {
      return Optional.empty();
    }
    var newestFirst = statusesNewestFirst();
    for (VersionStatus status : newestFirst) {
      if (status.state() == State.LOADING) {
        return Optional.of("loading version " + status.version());
      }
    }
    if (!listed) {
      return Optional.of("its base path " + config.basePath() + " was not read yet");
    }
    for (VersionStatus status : newestFirst) {
      if (status.error().isPresent()) {
        return Optional.of("version " + status.version() + " failed to load: "
            + status.error().get());
      }
    }
    if (baseDirectoryProblem != null) {
      return Optional.of(baseDirectoryProblem);
    }
    return Optional.of("no version under " + config.basePath() + " that its version"
        + " policy (" + config.policy() + ") takes");
  }
}
