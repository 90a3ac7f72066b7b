package dev.tfmnist.server.grpc;

import dev.tfmnist.server.ServingCore;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * TensorFlow Serving's gRPC API ({@code tensorflow.serving.PredictionService} and {@code
 * ModelService}) on gRPC's Netty transport, over a {@link ServingCore}.
 */
public final class GrpcServer {
  private final Server server;
  private final InetSocketAddress address;

  private GrpcServer(ServingCore core, String host, int port, long maxMessageBytes)
      throws IOException {
    var api = new GrpcApi(core);
    Server built = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, maxMessageBytes))
        .addService(api.predictionService())
        .addService(api.modelService())
        .build();
    try {
      this.server = built.start();
    } catch (IOException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IOException("cannot listen on " + host + ":" + port + ": "
          + cause.getMessage(), e);
    }
    this.address = (InetSocketAddress) server.getListenSockets().get(0);
  }

  /** Listens on {@code host:port} (0: any free port). */
  public static GrpcServer start(ServingCore core, String host, int port, long maxMessageBytes)
      throws IOException {
    return new GrpcServer(core, host, port, maxMessageBytes);
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
    return drained;
  }
}
