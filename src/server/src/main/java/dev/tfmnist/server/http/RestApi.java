package dev.tfmnist.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.server.ExampleTasks.Method;
import dev.tfmnist.server.InferenceService;
import dev.tfmnist.server.ModelInfoService;
import dev.tfmnist.server.ModelSpecs;
import dev.tfmnist.server.ServingCore;
import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.api.ClassificationRequest;
import dev.tfmnist.server.api.ExampleList;
import dev.tfmnist.server.api.ExampleListWithContext;
import dev.tfmnist.server.api.GetModelMetadataRequest;
import dev.tfmnist.server.api.GetModelStatusRequest;
import dev.tfmnist.server.api.Input;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.RegressionRequest;
import dev.tfmnist.server.metrics.ServingMetrics;
import dev.tfmnist.server.models.Servable;
import dev.tfmnist.server.models.VersionRequest;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import dev.tfmnist.loader.TensorSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.proto.DataType;

/**
 * TensorFlow Serving's REST API over the serving core: status, metadata, predict, classify and
 * regress for every model, under {@code /versions/N} or {@code /labels/L} too, and the metrics,
 * when asked for, at a path of their own (TF Serving's is {@code
 * /monitoring/prometheus/metrics}). Each endpoint parses its request, calls one core service
 * and renders the answer; runs on Undertow's worker threads.
 */
final class RestApi implements HttpHandler {
  private static final String SPEC = "/v1/models/([^/:]+)(?:/versions/([0-9]+)|/labels/([^/:]+))?";
  private static final Pattern RESOURCE = Pattern.compile(SPEC + "(?:/(metadata|stats))?/?");
  private static final Pattern VERB = Pattern.compile(SPEC + ":([A-Za-z]+)");
  private final ServingCore core;
  private final InferenceService inference;
  private final ModelInfoService info;
  private final RequestBody body;
  /** Where the metrics are served, or null for nowhere. */
  private final String metricsPath;

  RestApi(ServingCore core, long maxRequestBytes, String metricsPath) {
    this.core = core;
    this.metricsPath = metricsPath;
    this.inference = new InferenceService(core);
    this.info = new ModelInfoService(core);
    this.body = new RequestBody(maxRequestBytes);
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    if (exchange.isInIoThread()) {
      exchange.dispatch(this);  // predictions block: run them on a worker thread
      return;
    }
    exchange.startBlocking();
    try {
      route(exchange);
    } catch (RuntimeException e) {
      RestJson.sendFailure(exchange, core.failures(), e);
    }
  }

  private void route(HttpServerExchange exchange) {
    String path = exchange.getRequestPath();
    HttpString method = exchange.getRequestMethod();
    Matcher verb = VERB.matcher(path);
    if (verb.matches() && method.equals(Methods.POST)) {
      VersionRequest target = target(verb);
      switch (verb.group(4)) {
        case "predict" -> predict(exchange, target);
        case "classify" -> examples(exchange, target, Method.CLASSIFY);
        case "regress" -> examples(exchange, target, Method.REGRESS);
        default -> throw malformed(method, path);
      }
      return;
    }
    Matcher resource = RESOURCE.matcher(path);
    if (resource.matches() && method.equals(Methods.GET)) {
      VersionRequest target = target(resource);
      String api = resource.group(4) == null ? "status" : resource.group(4);
      try (var call = core.begin(api, "REST")) {
        try {
          ModelSpec spec = ModelSpecs.of(target, "");
          RestJson.send(exchange, 200, switch (api) {
            case "status" -> RestJson.proto(info.status(call,
                GetModelStatusRequest.newBuilder().setModelSpec(spec).build()));
            case "metadata" -> RestJson.metadata(info.metadata(call, GetModelMetadataRequest
                .newBuilder().setModelSpec(spec)
                .addMetadataField(ModelInfoService.SIGNATURE_DEF).build()));
            default -> stats(call, target);
          });
        } catch (RuntimeException e) {
          throw call.failed(e);
        }
      }
      return;
    }
    if (path.equals(metricsPath) && method.equals(Methods.GET)) {
      byte[] text = core.metrics().scrape();
      exchange.setStatusCode(200);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, ServingMetrics.CONTENT_TYPE);
      exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, text.length);
      exchange.getResponseSender().send(ByteBuffer.wrap(text));
      return;
    }
    throw malformed(method, path);
  }

  /** TF Serving answers a path or method it does not serve with 400, naming both. */
  private static ServingException malformed(HttpString method, String path) {
    return ServingException.invalidArgument("Malformed request: " + method + " " + path);
  }

  /** The model and version a path names; 01 is version 1, as TF Serving reads it. */
  private static VersionRequest target(Matcher path) {
    String name = path.group(1);
    if (path.group(2) != null) {
      try {
        return VersionRequest.version(name, Long.parseLong(path.group(2)));
      } catch (NumberFormatException e) {
        throw ServingException.invalidArgument("Failed to convert version: " + path.group(2)
            + " to numeric.");
      }
    }
    return path.group(3) != null ? VersionRequest.label(name, path.group(3))
        : VersionRequest.latest(name);
  }

  /** Not TF Serving's: the version served, predictions in flight and the batches run so far. */
  private ObjectNode stats(ServingCore.Call call, VersionRequest target) {
    call.describeModel(target.model());
    ObjectNode root = RestJson.JSON.createObjectNode();
    try (Servable servable = core.models().acquire(target)) {
      root.put("model", servable.name());
      root.put("version", Long.toString(servable.version()));
    }
    root.put("in_flight_predictions", core.inFlightPredictions());
    ObjectNode batching = root.putObject("batching");
    batching.put("enabled", core.batching().isPresent());
    core.batching().ifPresent(options -> {
      batching.put("max_batch_size", options.maxBatchSize());
      if (options.waitsForCompany()) {
        batching.put("batch_timeout_micros", options.batchTimeout().toNanos() / 1000);
      }
      batching.put("num_batch_threads", options.threads());
      batching.put("max_enqueued_batches", options.maxEnqueuedBatches());
    });
    core.batchStats().ifPresent(stats -> {
      batching.put("requests", stats.requests());
      batching.put("batches", stats.batches());
      ObjectNode sizes = batching.putObject("batch_sizes");
      stats.batchSizes().forEach((size, count) -> sizes.put(Integer.toString(size), count));
    });
    return root;
  }

  private void predict(HttpServerExchange exchange, VersionRequest target) {
    try (var call = core.begin("predict", "REST")) {
      try {
        JsonNode request = body.object(exchange, "\"instances\" or \"inputs\"");
        RestJson.send(exchange, 200, predict(call, target, request));
      } catch (RuntimeException e) {
        throw failed(call, e);
      }
    }
  }

  /** A parsed :predict request through the core: the answer to write. */
  RestJson.Body predict(ServingCore.Call call, VersionRequest target, JsonNode request) {
    String key = signatureKey(request);
    call.describeModel(target.model());
    boolean rows = request.has("instances");
    if (rows == request.has("inputs")) {
      throw ServingException.invalidArgument(rows
          ? "the request has both \"instances\" and \"inputs\"; send one"
          : "the request has neither \"instances\" (row format) nor \"inputs\" (columnar"
              + " format)");
    }
    var result = inference.predict(call, ModelSpecs.of(target, key), signature -> rows
        ? RequestFormats.fromInstances(request.get("instances"), signature)
        : RequestFormats.fromInputs(request.get("inputs"), signature), List.of());
    return out -> RestJson.writePrediction(out, result.prediction(), rows);
  }

  /**
   * TF Serving's {@code :classify} and {@code :regress}: tf.Example objects in, {@code
   * {"results": [[["label", score], ...], ...]}} or {@code {"results": [value, ...]}} out.
   */
  private void examples(HttpServerExchange exchange, VersionRequest target, Method method) {
    try (var call = core.begin(method.api(), "REST")) {
      try {
        JsonNode request = body.object(exchange, "\"examples\"");
        ModelSpec spec = ModelSpecs.of(target, signatureKey(request));
        call.describeModel(target.model());
        List<ByteString> examples = JsonExamples.examples(request, method.api()).stream()
            .map(ByteString::copyFrom).toList();
        byte[] context = JsonExamples.context(request);
        Input input = context.length == 0
            ? Input.newBuilder().setExampleList(ExampleList.newBuilder().addAllExamples(examples))
                .build()
            : Input.newBuilder().setExampleListWithContext(ExampleListWithContext.newBuilder()
                .addAllExamples(examples).setContext(ByteString.copyFrom(context))).build();
        if (method == Method.CLASSIFY) {
          var result = inference.classify(call, ClassificationRequest.newBuilder()
              .setModelSpec(spec).setInput(input).build()).getResult();
          RestJson.send(exchange, 200, out -> RestJson.writeClassifications(out, result));
        } else {
          var result = inference.regress(call, RegressionRequest.newBuilder()
              .setModelSpec(spec).setInput(input).build()).getResult();
          RestJson.send(exchange, 200, out -> RestJson.writeRegressions(out, result));
        }
      } catch (RuntimeException e) {
        throw failed(call, e);
      }
    }
  }

  /**
   * Runs {@code requests} single-row :predict requests of zeros through this API's own request
   * path (JSON in, core, JSON out; no socket), so the first client does not wait while the JVM
   * compiles it. Only for the common shape, a default signature with one input of rows of
   * numbers; the requests count in the metrics like any others.
   *
   * @return the requests that ran; fewer when the model refuses zeros or has no such signature
   */
  int warmUp(String model, int requests) {
    var target = VersionRequest.latest(model);
    TensorSpec input;
    try (Servable servable = core.models().acquire(target)) {
      SignatureInfo signature = servable.model().signatures().get(SignatureInfo.DEFAULT_KEY);
      if (signature == null || signature.inputs().size() != 1) {
        return 0;
      }
      input = signature.inputs().values().iterator().next();
    } catch (ServingException noVersionYet) {
      return 0;
    }
    if (!input.isBatched() || input.rank() != 2 || input.shape().get(1) < 1
        || input.dtype() == DataType.DT_STRING || input.dtype() == DataType.DT_BOOL) {
      return 0;
    }
    ObjectNode request = RestJson.JSON.createObjectNode();
    var row = request.putArray("instances").addArray();
    for (long i = 0; i < input.shape().get(1); i++) {
      row.add(0);
    }
    for (int i = 0; i < requests; i++) {
      try (var call = core.begin("predict", "REST")) {
        try {
          predict(call, target, request).write(RestJson.JSON.createGenerator(
              OutputStream.nullOutputStream()));
        } catch (IOException | RuntimeException e) {
          call.failed(e instanceof RuntimeException r ? r : new UncheckedIOException(
              (IOException) e));
          return i;
        }
      }
    }
    return requests;
  }

  /** Records how a model-running request failed; a body over the limit stays a 413. */
  static RuntimeException failed(ServingCore.Call call, RuntimeException e) {
    if (e instanceof ApiException tooLarge) {
      // counted as gRPC counts a message over its limit
      call.failed(new ServingException(ServingException.Code.RESOURCE_EXHAUSTED,
          tooLarge.getMessage()));
      return tooLarge;
    }
    return call.failed(e);
  }

  /** The signature a request names; empty (the default) when it names none. */
  private static String signatureKey(JsonNode request) {
    JsonNode signatureName = request.get("signature_name");
    if (signatureName == null) {
      return SignatureInfo.DEFAULT_KEY;
    }
    if (!signatureName.isTextual()) {  // null included, as TF Serving has it
      throw ServingException.invalidArgument("\"signature_name\" must be a string");
    }
    return signatureName.textValue();
  }
}
