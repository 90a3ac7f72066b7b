package dev.tfmnist.server.batching;

/**
 * A request the batcher refused because {@link BatchingOptions#maxEnqueuedBatches} batches are
 * already waiting: the server is overloaded and the client should back off and retry.
 */
public final class QueueFullException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  QueueFullException(int enqueuedBatches, int maxEnqueuedBatches) {
    // TF Serving's wording, which its users' retry logic may look for
    super("The batch scheduling queue to which this task was submitted is full; currently "
        + enqueuedBatches + " batches enqueued and max_enqueued_batches is "
        + maxEnqueuedBatches);
  }
}
