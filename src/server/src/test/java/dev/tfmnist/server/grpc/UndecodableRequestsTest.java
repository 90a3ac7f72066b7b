package dev.tfmnist.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.server.ModelServer;
import dev.tfmnist.server.api.GetModelStatusRequest;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.grpc.api.ModelServiceGrpc;
import dev.tfmnist.server.grpc.api.PredictionServiceGrpc;
import dev.tfmnist.testing.TestModels;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Messages that are not protobuf, sent to every gRPC method: each gets INVALID_ARGUMENT naming the
 * method, the server goes on serving, and the log stays short however many arrive.
 */
class UndecodableRequestsTest {
  /** Bytes no protobuf message decodes from: a zero tag, or a field cut short. */
  private static byte[] undecodable(Random random) {
    byte[] tail = new byte[random.nextInt(64)];
    random.nextBytes(tail);
    byte[] message = new byte[tail.length + 2];
    if (random.nextBoolean()) {
      message[0] = 0;  // field number 0 is never valid
    } else {
      message[0] = 0x0a;  // field 1, length-delimited, claiming more bytes than follow
      message[1] = (byte) 0x7f;
      tail = new byte[Math.min(tail.length, 60)];
    }
    System.arraycopy(tail, 0, message, 2, Math.min(tail.length, message.length - 2));
    return message;
  }

  @Test
  void everyMethodAnswersInvalidArgumentAndTheLogStaysShort() throws Exception {
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    PredictionServiceGrpc.getServiceDescriptor().getMethods().forEach(methods::add);
    ModelServiceGrpc.getServiceDescriptor().getMethods().forEach(methods::add);
    assertEquals(7, methods.size());

    var appender = new ListAppender<ILoggingEvent>();
    appender.start();
    var root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    var julRecords = new ArrayList<LogRecord>();
    Handler jul = new Handler() {
      @Override
      public synchronized void publish(LogRecord record) {
        julRecords.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    java.util.logging.Logger.getLogger("").addHandler(jul);
    try (var model = LoadedModel.load(TestModels.identityModel());
        var server = ModelServer.builder(model).name("echo").port(0).grpcPort(0)
            .warmUp(false).start()) {
      ManagedChannel channel = NettyChannelBuilder
          .forAddress(server.grpcAddress().orElseThrow()).usePlaintext().build();
      try {
        var random = new Random(22);
        for (int i = 0; i < 1000; i++) {
          MethodDescriptor<?, ?> method = methods.get(i % methods.size());
          var raw = MethodDescriptor.<byte[], byte[]>newBuilder(GrpcApi.BYTES, GrpcApi.BYTES)
              .setType(MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(method.getFullMethodName()).build();
          byte[] message = undecodable(random);
          var thrown = assertThrows(StatusRuntimeException.class, () ->
              ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT, message));
          assertEquals(Status.Code.INVALID_ARGUMENT, thrown.getStatus().getCode(),
              method.getFullMethodName() + ": " + thrown.getStatus());
          assertTrue(thrown.getStatus().getDescription().startsWith(
              method.getBareMethodName() + ": the request is not a valid tensorflow.serving."),
              thrown.getStatus().getDescription());
        }
        // still serving
        var status = ModelServiceGrpc.newBlockingStub(channel).getModelStatus(
            GetModelStatusRequest.newBuilder()
                .setModelSpec(ModelSpec.newBuilder().setName("echo")).build());
        assertEquals(1, status.getModelVersionStatusCount());
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    } finally {
      root.detachAppender(appender);
      java.util.logging.Logger.getLogger("").removeHandler(jul);
    }
    // one line per method (a minute's window), nothing from gRPC itself, no stack traces
    var warnings = appender.list.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)).toList();
    assertTrue(warnings.size() <= methods.size(), "log lines: " + warnings);
    assertTrue(warnings.stream().allMatch(e -> e.getThrowableProxy() == null),
        "a stack trace was logged");
    assertTrue(warnings.stream().allMatch(e -> e.getFormattedMessage()
        .contains("undecodable requests")), "log lines: " + warnings);
    assertEquals(List.of(), julRecords.stream().filter(r -> r.getLevel().intValue()
        >= java.util.logging.Level.WARNING.intValue()).map(LogRecord::getMessage).toList());
  }
}
