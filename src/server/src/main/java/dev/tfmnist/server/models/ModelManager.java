package dev.tfmnist.server.models;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.models.VersionStatus.State;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a server serves and their versions, kept as TensorFlow Serving's file-system source
 * and version manager keep them: each model's base directory is polled; a new numbered version
 * directory that the version policy takes is loaded, warmed up and then served; a version that
 * leaves the policy stops taking requests and is closed once those running on it finish; a
 * version that fails to load shows in the status with its error and leaves the others as they
 * were. New versions are loaded before old ones are unloaded, so a model is never without one.
 *
 * <pre>{@code
 * try (var models = ModelManager.builder(dir -> LoadedModel.load(dir))
 *     .pollInterval(Duration.ofSeconds(1))
 *     .start(List.of(ModelConfig.of("mnist", Path.of("models/mnist"))))) {
 *   try (Servable servable = models.acquire(VersionRequest.latest("mnist"))) {
 *     servable.predictor("serving_default").predict(...);
 *   }
 * }
 * }</pre>
 */
public final class ModelManager implements AutoCloseable {
  /** Loads one version directory: a SavedModel. */
  @FunctionalInterface
  public interface VersionLoader {
    LoadedModel load(Path versionDirectory) throws IOException;
  }

  private static final Logger LOG = LoggerFactory.getLogger(ModelManager.class);

  private final VersionLoader loader;
  private final int warmUpRows;
  private final Consumer<String> events;
  private final Map<String, ManagedModel> models = new ConcurrentHashMap<>();
  private final Object refreshLock = new Object();
  private final ScheduledExecutorService poller;
  private final Supplier<Optional<List<ModelConfig>>> configSource;
  /** The first load of the models started with: done unless started in the background. */
  private volatile CompletableFuture<Void> initialLoad = CompletableFuture.completedFuture(null);
  private volatile boolean closed;

  private ModelManager(Builder b) {
    this.loader = b.loader;
    this.warmUpRows = b.warmUpRows;
    this.events = b.events;
    this.configSource = b.configSource;
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      var thread = new Thread(r, "model-manager");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** A manager that loads versions with {@code loader}. */
  public static Builder builder(VersionLoader loader) {
    return new Builder(loader);
  }

  /**
   * One model already loaded, served as {@code version} under {@code name}: never polled, and
   * not closed by the manager (the caller owns it).
   */
  public static ModelManager serving(String name, long version, LoadedModel model) {
    var manager = new ModelManager(new Builder(dir -> {
      throw new IOException("a fixed model loads nothing");
    }));
    ModelConfig.checkName("model name", name);
    var managed = new ManagedModel(new ModelConfig(name, model.directory(),
        VersionPolicy.specific(List.of(version)), Map.of()), true, null);
    managed.serving.put(version, new LoadedVersion(name, version, model, false));
    managed.statuses.put(version, VersionStatus.of(version, State.AVAILABLE));
    manager.models.put(name, managed);
    return manager;
  }

  /** How a manager loads, warms up, polls and reports. */
  public static final class Builder {
    private final VersionLoader loader;
    private Duration pollInterval = Duration.ofSeconds(1);
    private int warmUpRows = 1;
    private Consumer<String> events = line -> {};
    private Supplier<Optional<List<ModelConfig>>> configSource = Optional::empty;
    private Duration configInterval = Duration.ZERO;

    private Builder(VersionLoader loader) {
      this.loader = Objects.requireNonNull(loader, "loader");
    }

    /** How often base directories are listed; default 1 s (TF Serving's default); 0: never. */
    public Builder pollInterval(Duration interval) {
      if (interval.isNegative()) {
        throw new IllegalArgumentException("poll interval must not be negative, got " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /**
     * Before a new version serves, each signature runs on zeros at every batch size up to this
     * (the largest batch the server forms); 0 skips the warm-up. Default 1.
     */
    public Builder warmUpRows(int rows) {
      if (rows < 0) {
        throw new IllegalArgumentException("warm-up rows must be 0 or more, got " + rows);
      }
      this.warmUpRows = rows;
      return this;
    }

    /** Gets one line per load, unload and failure, e.g. {@code Loaded mnist version 2}. */
    public Builder events(Consumer<String> events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    /**
     * Asked for the model list every {@code interval}: a present answer replaces the models
     * served (as {@link #reconfigure}), an empty one keeps them (a config file that did not
     * change, or did not parse: the source reports that itself).
     */
    public Builder configSource(Supplier<Optional<List<ModelConfig>>> source, Duration interval) {
      this.configSource = Objects.requireNonNull(source, "source");
      this.configInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /**
     * Loads what {@code configs} ask for now, then polls in the background. A model whose
     * versions all failed to load is still managed (its status says why).
     */
    public ModelManager start(List<ModelConfig> configs) {
      var manager = new ModelManager(this);
      manager.reconfigure(configs);
      manager.schedulePolling(pollInterval, configInterval);
      return manager;
    }

    /**
     * Adds the models of {@code configs} and returns at once; their versions load on the
     * manager's thread, then it polls as {@link #start} does. Until a model has a version
     * loaded, requests for it get NOT_FOUND and {@link ModelManager#unavailableReason} says why:
     * what a server needs to answer health checks while it loads (see {@link
     * ModelManager#awaitInitialLoad}).
     *
     * @param configs the models to serve
     * @return the manager, its models added, their versions loading
     * @throws IllegalArgumentException if a model is configured twice
     */
    public ModelManager startInBackground(List<ModelConfig> configs) {
      var manager = new ModelManager(this);
      manager.apply(configs);
      manager.initialLoad = new CompletableFuture<>();
      manager.poller.execute(() -> {
        try {
          manager.refresh();
          manager.initialLoad.complete(null);
        } catch (Throwable e) {
          manager.initialLoad.completeExceptionally(e);
          LOG.error("Loading the models failed", e);
        }
      });
      manager.schedulePolling(pollInterval, configInterval);
      return manager;
    }
  }

  /** The periodic tasks, after the first load (the poller runs one task at a time, in order). */
  private void schedulePolling(Duration pollInterval, Duration configInterval) {
    if (!pollInterval.isZero()) {
      poller.scheduleWithFixedDelay(this::pollQuietly, pollInterval.toMillis(),
          pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }
    if (!configInterval.isZero()) {
      poller.scheduleWithFixedDelay(this::rereadConfigQuietly, configInterval.toMillis(),
          configInterval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Waits for the first load of the models the manager started with: at once after {@link
   * Builder#start}, until their versions loaded or failed to after {@link
   * Builder#startInBackground}.
   *
   * @throws InterruptedException if interrupted while waiting
   * @throws IllegalStateException if the first load failed beyond a version's error (out of
   *     memory, say)
   */
  public void awaitInitialLoad() throws InterruptedException {
    try {
      initialLoad.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("loading the models failed: " + e.getCause(),
          e.getCause());
    }
  }

  /**
   * Serves exactly the models of {@code configs}: new names are added and loaded, a changed
   * policy, base directory or labels take effect, and models no longer listed are unloaded.
   */
  public void reconfigure(List<ModelConfig> configs) {
    synchronized (refreshLock) {
      apply(configs);
      refresh();
    }
  }

  /** {@link #reconfigure} without its refresh: the models added have no version loaded yet. */
  private void apply(List<ModelConfig> configs) {
    var names = new TreeSet<String>();
    for (ModelConfig config : configs) {
      if (!names.add(config.name())) {
        throw new IllegalArgumentException("model " + config.name() + " is configured twice");
      }
    }
    synchronized (refreshLock) {
      for (ModelConfig config : configs) {
        ManagedModel model = models.get(config.name());
        if (model == null) {
          models.put(config.name(), newModel(config));
          event("Added model " + config.name() + " from " + config.basePath()
              + " (versions: " + config.policy() + ")");
        } else if (!model.fixed && !model.config.basePath().equals(config.basePath())) {
          // other directories: their versions are other models, whatever their numbers
          var moved = newModel(config);
          moved.refresh(this::event);
          models.put(config.name(), moved);
          model.unloadAll(this::event);
          event("Moved model " + config.name() + " to " + config.basePath());
        } else if (!model.config.equals(config) && !model.fixed) {
          model.config = config;
          event("Updated model " + config.name() + " (versions: " + config.policy()
              + ", labels: " + config.labels() + ")");
        }
      }
      for (var it = models.entrySet().iterator(); it.hasNext(); ) {
        var entry = it.next();
        if (!names.contains(entry.getKey()) && !entry.getValue().fixed) {
          it.remove();
          entry.getValue().unloadAll(this::event);
          event("Removed model " + entry.getKey());
        }
      }
    }
  }

  /**
   * Lists every model's base directory once and loads and unloads versions to match the
   * policies; what the poller does every interval. Returns when the new versions serve.
   */
  public void refresh() {
    synchronized (refreshLock) {
      if (closed) {
        return;
      }
      for (ManagedModel model : models.values()) {
        if (!model.fixed) {
          model.refresh(this::event);
        }
      }
    }
  }

  private ManagedModel newModel(ModelConfig config) {
    return new ManagedModel(config, false, new VersionLoading(loader, warmUpRows));
  }

  /** A load, unload or failure: to the log, and to the builder's listener. */
  private void event(String line) {
    LOG.info(line);
    events.accept(line);
  }

  /** Catches everything: an exception escaping would cancel the periodic task for good. */
  private void pollQuietly() {
    try {
      refresh();
    } catch (Throwable e) {
      LOG.error("Polling the model directories failed", e);
      events.accept("Polling the model directories failed: " + e);
    }
  }

  private void rereadConfigQuietly() {
    try {
      configSource.get().ifPresent(this::reconfigure);
    } catch (Throwable e) {
      event("Applying the model config failed, keeping the models served: " + e.getMessage());
    }
  }

  /**
   * Holds the version a request is for until the returned servable is closed. Throws {@link
   * ServingException} NOT_FOUND for a model or version not served, INVALID_ARGUMENT for an
   * unknown label.
   */
  public Servable acquire(VersionRequest request) {
    ManagedModel model = model(request);
    while (true) {
      LoadedVersion version = choose(model, request);
      if (version.acquire()) {
        return new Servable(version);
      }
      // retired between the lookup and the hold: the map no longer has it; look again
    }
  }

  private LoadedVersion choose(ManagedModel model, VersionRequest request) {
    OptionalLong number = number(model, request);
    if (number.isEmpty()) {
      var latest = model.serving.lastEntry();
      if (latest == null) {
        throw notFound(model, request);
      }
      return latest.getValue();
    }
    LoadedVersion version = model.serving.get(number.getAsLong());
    if (version == null) {
      throw notFound(model, request);
    }
    return version;
  }

  /** The version number a request names, through the model's labels; empty for the latest. */
  private static OptionalLong number(ManagedModel model, VersionRequest request) {
    if (request.label().isEmpty()) {
      return request.version();
    }
    Long labelled = model.config.labels().get(request.label().get());
    if (labelled == null) {
      throw ServingException.invalidArgument("Unrecognized servable version label: "
          + request.label().get());
    }
    return OptionalLong.of(labelled);
  }

  private static ServingException notFound(ManagedModel model, VersionRequest request) {
    String why = model.baseDirectoryProblem != null && model.serving.isEmpty()
        ? " (" + model.baseDirectoryProblem + ")" : "";
    return ServingException.notFound("Servable not found for request: " + request + why);
  }

  private ManagedModel model(VersionRequest request) {
    ManagedModel model = models.get(request.model());
    if (model == null) {
      throw ServingException.notFound("Servable not found for request: " + request);
    }
    return model;
  }

  /**
   * The statuses of a model's versions, highest first: every version it has had, or the one
   * asked for. NOT_FOUND when there is none, as TF Serving's GetModelStatus.
   */
  public List<VersionStatus> status(VersionRequest request) {
    ManagedModel model = model(request);
    return model.status(number(model, request));
  }

  /**
   * Why a model has no version serving, in a phrase: the first load error of its versions, or
   * that no version directory holds a SavedModel.
   */
  public String whyNotServing(String name) {
    ManagedModel model = models.get(name);
    if (model == null) {
      return "no such model";
    }
    return model.firstLoadError().orElse("no version directory holds a SavedModel");
  }

  /**
   * Why a model cannot answer requests now, in a phrase, e.g. {@code loading version 2}; empty
   * when a version of it is available. The phrases, first that applies: no such model; a
   * version loading; the base path not read yet; the newest version's load error (it is tried
   * again); the base path's problem (no versions there); no version on disk that the policy
   * takes.
   *
   * @param name the model's name
   * @return the reason, or empty when the model has a version AVAILABLE
   */
  public Optional<String> unavailableReason(String name) {
    ManagedModel model = models.get(name);
    if (model == null) {
      return Optional.of("no such model");
    }
    return model.unavailableReason();
  }

  /** The names of the models served, sorted. */
  public SortedSet<String> models() {
    return new TreeSet<>(models.keySet());
  }

  /** The versions of a model serving now, lowest first; empty for an unknown model. */
  public SortedSet<Long> servingVersions(String name) {
    ManagedModel model = models.get(name);
    // not new TreeSet<>(keySet()): from a sorted set it takes size() and then that many
    // next()s, which throws when the poller unloads a version in between
    return model == null ? new TreeSet<>() : new TreeSet<>(List.copyOf(model.serving.keySet()));
  }

  /** A model's config as served now. */
  public Optional<ModelConfig> config(String name) {
    ManagedModel model = models.get(name);
    return model == null ? Optional.empty() : Optional.of(model.config);
  }

  /**
   * Stops polling and retires every version: each closes once the requests on it finish (the
   * caller's own model of {@link #serving} is left open).
   */
  @Override
  public void close() {
    synchronized (refreshLock) {
      if (closed) {
        return;
      }
      closed = true;
      poller.shutdownNow();
      initialLoad.complete(null);  // a first load that never ran: nobody waits for it
      for (ManagedModel model : models.values()) {
        model.unloadAll(this::event);
      }
    }
  }
}
