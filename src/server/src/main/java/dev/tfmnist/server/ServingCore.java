package dev.tfmnist.server;

import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.PredictionException;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.SignatureNotFoundException;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.batching.BatchModel;
import dev.tfmnist.server.batching.BatchStats;
import dev.tfmnist.server.batching.BatchingOptions;
import dev.tfmnist.server.batching.DynamicBatcher;
import dev.tfmnist.server.batching.QueueFullException;
import dev.tfmnist.server.metrics.ServingMetrics;
import dev.tfmnist.server.models.ModelManager;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the REST and gRPC front ends share: the models, the batcher, the request deadline, the
 * metrics, and the one translation of failures into TensorFlow Serving's status codes. A front
 * end parses a request into tensors, asks {@link #run} for the prediction and writes the answer;
 * each request is a {@link Call}, which counts it in flight and in the metrics.
 */
public final class ServingCore implements AutoCloseable {
  private final ModelManager models;
  private final Optional<DynamicBatcher> batcher;
  private final ServingMetrics metrics;
  private final Duration timeout;
  /** Predictions being read and parsed, not yet handed to the batcher: its hint to wait. */
  private final AtomicInteger arriving = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final FailureLog failures = new FailureLog(Duration.ofMinutes(1));

  /** Where the server that owns the core is in its life, for {@link #readiness()}. */
  private enum Phase { WARMING_UP, SERVING, SHUTTING_DOWN }

  private volatile Phase phase = Phase.WARMING_UP;

  /**
   * @param batching dynamic batching of concurrent predictions, or null for none
   * @param timeout how long a prediction may take, from its arrival to its answer
   */
  public ServingCore(ModelManager models, BatchingOptions batching, Duration timeout) {
    this.models = models;
    this.metrics = new ServingMetrics(models);
    this.timeout = timeout;
    this.batcher = Optional.ofNullable(batching)
        .map(options -> new DynamicBatcher(options, arriving::get, metrics::batch));
  }

  public ModelManager models() {
    return models;
  }

  /**
   * The log of failed requests, at most a line per kind of failure a minute.
   *
   * @return the log the front ends and the core write failures to
   */
  public FailureLog failures() {
    return failures;
  }

  public ServingMetrics metrics() {
    return metrics;
  }

  public Duration timeout() {
    return timeout;
  }

  public Optional<BatchingOptions> batching() {
    return batcher.map(DynamicBatcher::options);
  }

  public Optional<BatchStats> batchStats() {
    return batcher.map(DynamicBatcher::stats);
  }

  /** Predictions being parsed, run or answered right now. */
  public int inFlightPredictions() {
    return inFlight.get();
  }

  /**
   * The server is listening and warmed up: from now on it is ready whenever every model has a
   * version available. A server that is shutting down stays so.
   */
  public void serving() {
    if (phase == Phase.WARMING_UP) {
      phase = Phase.SERVING;
    }
  }

  /** The server is shutting down: it is not ready any more (its requests in flight finish). */
  public void shuttingDown() {
    phase = Phase.SHUTTING_DOWN;
  }

  /**
   * The one rule of readiness, what a load balancer should know before sending a request: the
   * server is not shutting down, every model it is configured with has a version AVAILABLE (and
   * so loaded and warmed up), and the server's own warm-up is over ({@link #serving()}). A
   * version loading while another one serves leaves the model ready; a model added by a config
   * reload makes the server not ready until a version of it is available.
   *
   * @return ready, or not ready with the reasons (every model that has no version, in name
   *     order), e.g. {@code model mnist has no version available yet: loading version 2}
   */
  public Readiness readiness() {
    if (phase == Phase.SHUTTING_DOWN) {
      return Readiness.notReady("the server is shutting down");
    }
    var names = models.models();
    if (names.isEmpty()) {
      return Readiness.notReady("no model is configured");
    }
    var reasons = new java.util.ArrayList<String>();
    for (String name : names) {
      models.unavailableReason(name).ifPresent(why -> reasons.add("model " + name
          + " has no version available yet: " + why));
    }
    if (!reasons.isEmpty()) {
      return Readiness.notReady(String.join("; ", reasons));
    }
    return phase == Phase.WARMING_UP ? Readiness.notReady("the server is warming up")
        : Readiness.READY;
  }

  /** The APIs whose requests run the model: counted in flight and awaited by the batcher. */
  private static final Set<String> RUNS_THE_MODEL =
      Set.of("predict", "classify", "regress", "multi_inference");

  /**
   * Starts a request of {@code api} ({@code predict}, {@code classify}, {@code regress}, {@code
   * multi_inference}, {@code metadata}, {@code status}) through
   * {@code entrypoint} ({@code REST}, {@code GRPC}); close the call once it is answered.
   */
  public Call begin(String api, String entrypoint) {
    return new Call(api, entrypoint);
  }

  /** One request, from arrival to answer: its deadline, its in-flight count and its metrics. */
  public final class Call implements AutoCloseable {
    private final String api;
    private final String entrypoint;
    private final long start = System.nanoTime();
    private long deadline;
    private final boolean prediction;
    private boolean parsing;
    private String model = "";
    private String signature = "";
    private String status = "OK";

    private Call(String api, String entrypoint) {
      this.api = api;
      this.entrypoint = entrypoint;
      this.prediction = RUNS_THE_MODEL.contains(api);
      this.deadline = start + timeout.toNanos();
      if (prediction) {
        inFlight.incrementAndGet();
        arriving.incrementAndGet();
        parsing = true;
      }
    }

    /**
     * The model and signature, for the metrics, once they are known to exist: names a client
     * made up must not become label values (each would be a time series of its own).
     */
    public void describe(String model, String signature) {
      this.model = model;
      this.signature = signature;
    }

    /** The model's name, for the metrics, when the server has such a model. */
    public void describeModel(String model) {
      if (models.config(model).isPresent()) {
        this.model = model;
      }
    }

    /** A client's own deadline, when earlier than the server's. */
    public void deadlineWithin(long nanos) {
      deadline = Math.min(deadline, System.nanoTime() + Math.max(0, nanos));
    }

    /** The request is parsed: the batcher need not wait for it any more. */
    public void parsed() {
      if (parsing) {
        parsing = false;
        arriving.decrementAndGet();
      }
    }

    /**
     * Records how the request ended, when it failed: in the metrics, and in the log when it is
     * an internal error (client errors are the client's to see, not the log's).
     *
     * @param e what the request threw
     * @return the failure in TF Serving's codes, to answer with
     */
    public ServingException failed(RuntimeException e) {
      ServingException failure = translate(e);
      status = failure.code().name();
      if (failure.code() == ServingException.Code.INTERNAL && failure.getCause() != null) {
        failures.serverError("internal error serving " + api + " (" + entrypoint + ")",
            failure.getCause());
      }
      return failure;
    }

    /** Runs the prediction, batched with others when batching is on, within the deadline. */
    public Prediction run(Predictor predictor, Map<String, TensorValue> inputs) {
      parsed();
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new ServingException(ServingException.Code.DEADLINE_EXCEEDED,
            "Deadline exceeded before the prediction started");
      }
      if (batcher.isEmpty()) {
        return predictor.predict(inputs);
      }
      CompletableFuture<Prediction> future = batcher.get().submit(BatchModel.of(predictor), inputs);
      try {
        return future.get(left, TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        future.cancel(false);  // dropped unless it is already running
        throw new ServingException(ServingException.Code.DEADLINE_EXCEEDED,
            "Deadline exceeded: the prediction did not finish within "
                + TimeUnit.NANOSECONDS.toMillis(deadline - start) + " ms");
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException cause) {
          throw cause;
        }
        // an Error in the batch (out of memory, say): not a reason for the client to retry
        throw new ServingException(ServingException.Code.INTERNAL,
            "internal error: " + e.getCause(), e.getCause());
      } catch (CancellationException e) {
        throw new ServingException(ServingException.Code.CANCELLED, "the request was cancelled");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ServingException(ServingException.Code.UNAVAILABLE,
            "interrupted while waiting for the prediction");
      }
    }

    @Override
    public void close() {
      parsed();
      if (prediction) {
        inFlight.decrementAndGet();
      }
      metrics.request(model, signature, api, entrypoint, status, System.nanoTime() - start);
    }
  }

  /** A failure as TensorFlow Serving's status: what each of the loader's exceptions means. */
  public static ServingException translate(RuntimeException e) {
    if (e instanceof ServingException serving) {
      return serving;
    }
    if (e instanceof SignatureNotFoundException) {
      // TF Serving: "Serving signature key ... not found." is a failed precondition (400 in REST)
      return new ServingException(ServingException.Code.FAILED_PRECONDITION, e.getMessage(), e);
    }
    if (e instanceof InvalidInputException) {
      return ServingException.invalidArgument(e.getMessage());
    }
    if (e instanceof PredictionException p) {
      return new ServingException(p.isInvalidArgument() ? ServingException.Code.INVALID_ARGUMENT
          : ServingException.Code.INTERNAL, p.getMessage(), p);
    }
    if (e instanceof QueueFullException) {
      return new ServingException(ServingException.Code.UNAVAILABLE, e.getMessage(), e);
    }
    if (e instanceof IllegalStateException) {
      // the model or the batcher was closed under this request
      return new ServingException(ServingException.Code.UNAVAILABLE, e.getMessage(), e);
    }
    return new ServingException(ServingException.Code.INTERNAL, "internal error: " + e, e);
  }

  /**
   * Stops the batcher after the queued requests ran, and the server is no longer ready; the
   * models are the caller's to close.
   */
  @Override
  public void close() {
    shuttingDown();
    batcher.ifPresent(DynamicBatcher::close);
  }
}
