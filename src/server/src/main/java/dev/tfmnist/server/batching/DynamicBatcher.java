package dev.tfmnist.server.batching;

import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.TensorValue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import org.tensorflow.ndarray.Shape;

/**
 * Runs concurrent requests together: requests for the same predictor whose inputs agree on every
 * dimension but the first are stacked along dimension 0, run as one batch, and the outputs are
 * split back by rows.
 *
 * <p>By default ({@link BatchingOptions#waitsForCompany()} false) a batch never waits: a request
 * runs at once, in the caller's thread, while fewer than {@code threads} batches run; otherwise it
 * queues, and the first thread to free up takes what queued meanwhile (up to {@code maxBatchSize}
 * rows) as one batch. With a batch timeout (TF Serving's way) a batch starts when it reaches
 * {@code maxBatchSize} rows or when its first request has waited {@code batchTimeout}; while one
 * batch runs the next one fills. There a request that is alone, while the previous batch was
 * alone too and the front end reports no other request on its way (accepted, not yet submitted),
 * runs at once instead of paying the whole timeout for nobody.
 *
 * <p>Signatures whose inputs or outputs are not all batched (an unknown dimension 0) run each
 * request alone, in the caller's thread. Inputs are validated before they join a batch, so one
 * bad request cannot fail the others.
 */
public final class DynamicBatcher implements AutoCloseable {
  private final BatchingOptions options;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<Task> queue = new ArrayDeque<>();
  private final List<Thread> workers = new ArrayList<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final ConcurrentHashMap<Integer, LongAdder> batchSizes = new ConcurrentHashMap<>();
  private final IntSupplier arriving;
  private final IntConsumer runs;
  private int queuedRows;  // guarded by lock
  private int previousBatchTasks;  // guarded by lock
  private int executing;  // batches running now; guarded by lock
  private int forming;  // batches gathering company now; guarded by lock
  private boolean closing;

  /** One caller's request and where its answer goes. */
  private record Task(BatchModel model, Key key, Map<String, TensorValue> inputs, int rows,
      CompletableFuture<Prediction> result) {}

  /** What must agree for requests to share a batch: the model's key, each input's row shape. */
  private record Key(Object model, Map<String, Shape> rowShapes) {}

  /** A batcher that always gives the first request of a batch its timeout to find company. */
  public DynamicBatcher(BatchingOptions options) {
    this(options, () -> 1, rows -> {});
  }

  /**
   * @param arriving how many requests the caller has accepted but not yet submitted (an HTTP
   *     server: bodies being read and parsed); while it is 0 a batch starts without waiting
   * @param runs told the rows of every run of a model (for metrics)
   */
  public DynamicBatcher(BatchingOptions options, IntSupplier arriving, IntConsumer runs) {
    this.options = options;
    this.arriving = arriving;
    this.runs = runs;
    for (int i = 0; i < options.threads(); i++) {
      var worker = new Thread(this::work, "dynamic-batcher-" + i);
      worker.setDaemon(true);
      worker.start();
      workers.add(worker);
    }
  }

  public BatchingOptions options() {
    return options;
  }

  /**
   * Queues a request; the future completes with this request's rows of the batch's outputs, or
   * with the exception that failed the run. Invalid inputs throw {@link InvalidInputException}
   * right away, and a full queue {@link QueueFullException}. A caller that stops waiting may
   * cancel the future: a request cancelled while queued is dropped without running.
   */
  public CompletableFuture<Prediction> submit(Predictor predictor, Map<String, TensorValue> inputs) {
    return submit(BatchModel.of(predictor), inputs);
  }

  /**
   * Queues a request for any {@link BatchModel}, as {@link #submit(Predictor, Map)} does for a
   * predictor.
   *
   * @param model what runs the request; requests whose models have equal keys share batches
   * @param inputs the request's tensors by input key
   * @return this request's rows of the batch's outputs, or the exception that failed the run
   * @throws InvalidInputException if the model refuses the inputs
   * @throws QueueFullException if the queue is full
   * @throws IllegalStateException if the batcher is closing
   */
  public CompletableFuture<Prediction> submit(BatchModel model, Map<String, TensorValue> inputs) {
    model.validate(inputs);
    requests.incrementAndGet();
    int rows = commonRows(inputs);
    if (!model.batchable() || rows < 1) {
      return runAlone(model, inputs, rows);
    }
    var rowShapes = new TreeMap<String, Shape>();
    inputs.forEach((key, value) -> rowShapes.put(key, value.shape().tail()));
    var task = new Task(model, new Key(model.batchKey(), rowShapes), new LinkedHashMap<>(inputs), rows,
        new CompletableFuture<>());
    lock.lock();
    try {
      if (closing) {
        throw new IllegalStateException("the batcher is shutting down");
      }
      if (!runsNow()) {
        int limit = options.maxEnqueuedBatches() * options.maxBatchSize();
        if (queuedRows + rows > limit && !queue.isEmpty()) {
          throw new QueueFullException(
              (queuedRows + options.maxBatchSize() - 1) / options.maxBatchSize(),
              options.maxEnqueuedBatches());
        }
        queuedRows += rows;
        queue.addLast(task);
        changed.signalAll();
        return task.result();
      }
      previousBatchTasks = 1;
      executing++;
    } finally {
      lock.unlock();
    }
    // alone: run in the caller's thread, saving two thread hand-offs (~0.2 ms at concurrency 1)
    try {
      return runAlone(model, inputs, rows);
    } finally {
      lock.lock();
      try {
        executing--;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Whether a new request runs at once in the caller's thread: without a timeout, when nothing
   * is queued and a thread is free; with one, when it has nobody to batch with. With the lock.
   */
  private boolean runsNow() {
    return options.waitsForCompany() ? alone() : queue.isEmpty() && executing < options.threads();
  }

  /**
   * Whether a new request has nobody to batch with: nothing queued or running, the previous
   * batch was alone too, and the front end is not reading another request. Called with the lock.
   */
  private boolean alone() {
    return queue.isEmpty() && executing == 0 && forming == 0 && nobodyElse();
  }

  /** The previous batch was alone and the front end is reading no request. With the lock. */
  private boolean nobodyElse() {
    return previousBatchTasks <= 1 && arriving.getAsInt() == 0;
  }

  private CompletableFuture<Prediction> runAlone(BatchModel model,
      Map<String, TensorValue> inputs, int rows) {
    try {
      Prediction prediction = model.run(inputs);
      record(rows);
      return CompletableFuture.completedFuture(prediction);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The shared dimension 0 of the inputs, or -1 when they have none in common. */
  private static int commonRows(Map<String, TensorValue> inputs) {
    long rows = -1;
    for (TensorValue value : inputs.values()) {
      if (value.shape().numDimensions() == 0) {
        return -1;
      }
      if (rows >= 0 && value.rows() != rows) {
        return -1;
      }
      rows = value.rows();
    }
    return rows > Integer.MAX_VALUE ? -1 : (int) rows;
  }

  private void work() {
    while (true) {
      List<Task> batch = nextBatch();
      if (batch == null) {
        return;
      }
      try {
        execute(batch);
      } finally {
        lock.lock();
        try {
          executing--;
          changed.signalAll();  // a thread may be waiting for a free slot
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /** Waits for a first request, then gathers compatible ones until full or timed out. */
  private List<Task> nextBatch() {
    lock.lock();
    try {
      // without a timeout, at most `threads` batches run at once, callers' runs included
      while (queue.isEmpty() || (!options.waitsForCompany() && executing >= options.threads())) {
        if (closing && queue.isEmpty()) {
          return null;
        }
        changed.awaitUninterruptibly();
      }
      Task first = queue.pollFirst();
      queuedRows -= first.rows();
      if (first.result().isDone()) {  // cancelled by a caller that stopped waiting
        executing++;  // work() counts every batch it is handed, even an empty one, back down
        return List.of();
      }
      var batch = new ArrayList<Task>();
      batch.add(first);
      int rows = first.rows();
      long deadline = System.nanoTime() + options.batchTimeout().toNanos();
      forming++;  // a request arriving now joins this batch rather than running alone
      while (rows < options.maxBatchSize()) {
        for (Iterator<Task> it = queue.iterator(); it.hasNext() && rows < options.maxBatchSize(); ) {
          Task task = it.next();
          if (task.result().isDone()) {
            it.remove();
            queuedRows -= task.rows();
          } else if (task.key().equals(first.key())
              && rows + task.rows() <= options.maxBatchSize()) {
            it.remove();
            queuedRows -= task.rows();
            batch.add(task);
            rows += task.rows();
          }
        }
        long left = deadline - System.nanoTime();
        boolean nobodyComing = batch.size() == 1 && nobodyElse();
        if (rows >= options.maxBatchSize() || left <= 0 || closing || nobodyComing) {
          break;
        }
        try {
          changed.awaitNanos(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      forming--;
      previousBatchTasks = batch.size();
      executing++;
      return batch;
    } finally {
      lock.unlock();
    }
  }

  private void execute(List<Task> batch) {
    if (batch.isEmpty()) {
      return;
    }
    BatchModel model = batch.get(0).model();
    int rows = batch.stream().mapToInt(Task::rows).sum();
    try {
      Prediction all = model.run(stack(batch));
      if (!rowsMatch(all, rows)) {
        // The signature promised a batch dimension the graph does not keep: run each alone.
        for (Task task : batch) {
          complete(task, () -> model.run(task.inputs()));
        }
        return;
      }
      record(rows);
      long offset = 0;
      for (Task task : batch) {
        long from = offset;
        complete(task, () -> all.slice(from, from + task.rows()));
        offset += task.rows();
      }
    } catch (RuntimeException | Error e) {
      batch.forEach(task -> task.result().completeExceptionally(e));
    }
  }

  private void complete(Task task, java.util.function.Supplier<Prediction> answer) {
    try {
      task.result().complete(answer.get());
    } catch (RuntimeException e) {
      task.result().completeExceptionally(e);
    }
  }

  private static Map<String, TensorValue> stack(List<Task> batch) {
    if (batch.size() == 1) {
      return batch.get(0).inputs();
    }
    var stacked = new LinkedHashMap<String, TensorValue>();
    for (String key : batch.get(0).inputs().keySet()) {
      var parts = new ArrayList<TensorValue>(batch.size());
      batch.forEach(task -> parts.add(task.inputs().get(key)));
      stacked.put(key, TensorValue.concat(parts));
    }
    return stacked;
  }

  private static boolean rowsMatch(Prediction prediction, int rows) {
    return prediction.outputs().values().stream()
        .allMatch(v -> v.shape().numDimensions() > 0 && v.rows() == rows);
  }

  /** Counts a run; its size goes into the histogram when it has a batch dimension. */
  private void record(int rows) {
    batches.incrementAndGet();
    if (rows > 0) {
      batchSizes.computeIfAbsent(rows, r -> new LongAdder()).increment();
      runs.accept(rows);
    }
  }

  public BatchStats stats() {
    var sizes = new TreeMap<Integer, Long>();
    batchSizes.forEach((size, count) -> sizes.put(size, count.sum()));
    return new BatchStats(requests.get(), batches.get(), sizes);
  }

  /** Stops taking requests, finishes every queued one, and stops the threads. */
  @Override
  public void close() {
    lock.lock();
    try {
      closing = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Thread worker : workers) {
      try {
        worker.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
