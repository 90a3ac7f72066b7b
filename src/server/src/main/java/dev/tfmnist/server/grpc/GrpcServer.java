package dev.tfmnist.server.grpc;

import dev.tfmnist.server.ServingCore;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TensorFlow Serving's gRPC API ({@code tensorflow.serving.PredictionService} and {@code
 * ModelService}) on gRPC's Netty transport, over a {@link ServingCore}.
 */
public final class GrpcServer {
  private final Server server;
  private final InetSocketAddress address;
  /** The threads that run the calls, when limited; else gRPC's own pool. */
  private final Optional<ExecutorService> executor;

  private GrpcServer(ServingCore core, String host, int port, long maxMessageBytes, int threads)
      throws IOException {
    var api = new GrpcApi(core);
    var builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, maxMessageBytes))
        .addService(api.predictionService())
        .addService(api.modelService());
    this.executor = threads > 0 ? Optional.of(callThreads(threads)) : Optional.empty();
    executor.ifPresent(builder::executor);
    try {
      this.server = builder.build().start();
    } catch (IOException e) {
      executor.ifPresent(ExecutorService::shutdownNow);
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IOException("cannot listen on " + host + ":" + port + ": "
          + cause.getMessage(), e);
    }
    this.address = (InetSocketAddress) server.getListenSockets().get(0);
  }

  private static ExecutorService callThreads(int threads) {
    var count = new AtomicInteger();
    return Executors.newFixedThreadPool(threads, task -> {
      var thread = new Thread(task, "grpc-call-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Listens on {@code host:port} and serves until {@link #awaitTermination}.
   *
   * @param core what the API serves
   * @param host the address to listen on
   * @param port the port, 0 for any free one
   * @param maxMessageBytes larger messages get RESOURCE_EXHAUSTED
   * @param threads at most this many calls run at once (TF Serving's {@code --grpc_max_threads}),
   *     the others wait; 0 for gRPC's own pool, which grows as needed
   * @return the server, listening
   * @throws IOException if it cannot listen there
   */
  public static GrpcServer start(ServingCore core, String host, int port, long maxMessageBytes,
      int threads) throws IOException {
    return new GrpcServer(core, host, port, maxMessageBytes, threads);
  }

  public InetSocketAddress address() {
    return address;
  }

  /** New calls get UNAVAILABLE from here on; calls in flight go on. */
  public void stopAccepting() {
    server.shutdown();
  }

  /** Waits up to {@code grace} for the calls in flight, then cuts the rest; whether all ended. */
  public boolean awaitTermination(Duration grace) {
    server.shutdown();
    boolean drained;
    try {
      drained = server.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      drained = false;
    }
    if (!drained) {
      server.shutdownNow();
    }
    executor.ifPresent(ExecutorService::shutdownNow);
    return drained;
  }
}
