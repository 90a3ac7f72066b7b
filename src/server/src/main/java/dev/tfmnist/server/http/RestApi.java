package dev.tfmnist.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.ExampleTasks;
import dev.tfmnist.server.ExampleTasks.Method;
import dev.tfmnist.server.ServingCore;
import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.metrics.ServingMetrics;
import dev.tfmnist.server.models.Servable;
import dev.tfmnist.server.models.VersionRequest;
import dev.tfmnist.server.models.VersionStatus;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * TensorFlow Serving's REST API over a {@link ServingCore}: status, metadata and predict for
 * every model, under {@code /versions/N} or {@code /labels/L} too, and the metrics at {@code
 * /monitoring/prometheus/metrics}. Runs on Undertow's worker threads; request bodies are read
 * whole (the server caps their size) and parsed with Jackson.
 */
final class RestApi implements HttpHandler {
  private static final String SPEC = "/v1/models/([^/:]+)(?:/versions/([0-9]+)|/labels/([^/:]+))?";
  private static final Pattern RESOURCE = Pattern.compile(SPEC + "(?:/(metadata|stats))?/?");
  private static final Pattern VERB = Pattern.compile(SPEC + ":([A-Za-z]+)");
  static final String METRICS_PATH = "/monitoring/prometheus/metrics";

  /** Reads NaN and Infinity, writes them bare, and rejects duplicate keys: TF Serving's JSON. */
  static final JsonMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .build();

  /** How much of an oversized body is read and dropped so that the 413 reaches the client. */
  static final long DRAIN_BYTES = 64L << 20;

  private final ServingCore core;
  private final long maxRequestBytes;

  RestApi(ServingCore core, long maxRequestBytes) {
    this.core = core;
    this.maxRequestBytes = maxRequestBytes;
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
    } catch (ApiException e) {
      sendError(exchange, e.status(), e.getMessage());
    } catch (ServingException e) {
      if (e.code() == ServingException.Code.INTERNAL && e.getCause() != null) {
        System.err.println("internal error serving " + exchange.getRequestMethod() + " "
            + exchange.getRequestPath() + ":");
        e.getCause().printStackTrace();
      }
      sendError(exchange, e.code().httpStatus(), e.getMessage());
    } catch (RuntimeException e) {
      System.err.println("internal error serving " + exchange.getRequestMethod() + " "
          + exchange.getRequestPath() + ":");
      e.printStackTrace();
      sendError(exchange, 500, "internal error: " + e);
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
        case "classify" -> classifyOrRegress(exchange, target, Method.CLASSIFY);
        case "regress" -> classifyOrRegress(exchange, target, Method.REGRESS);
        default -> throw ServingException.invalidArgument("Malformed request: " + method + " "
            + path);
      }
      return;
    }
    Matcher resource = RESOURCE.matcher(path);
    if (resource.matches() && method.equals(Methods.GET)) {
      VersionRequest target = target(resource);
      String what = resource.group(4);
      String api = what == null ? "status" : what;
      try (var call = core.begin(api, "REST")) {
        call.describeModel(target.model());
        try {
          sendJson(exchange, 200, switch (api) {
            case "status" -> status(target);
            case "metadata" -> metadata(target);
            default -> stats(target);
          });
        } catch (RuntimeException e) {
          throw call.failed(e);
        }
      }
      return;
    }
    if (path.equals(METRICS_PATH) && method.equals(Methods.GET)) {
      byte[] text = core.metrics().scrape();
      exchange.setStatusCode(200);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, ServingMetrics.CONTENT_TYPE);
      exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, text.length);
      exchange.getResponseSender().send(ByteBuffer.wrap(text));
      return;
    }
    // TF Serving answers a path or method it does not serve with 400, naming both
    throw ServingException.invalidArgument("Malformed request: " + method + " " + path);
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
    if (path.group(3) != null) {
      return VersionRequest.label(name, path.group(3));
    }
    return VersionRequest.latest(name);
  }

  /** GetModelStatusResponse in protobuf's JSON mapping: every version, or the one asked for. */
  private ObjectNode status(VersionRequest target) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode versions = root.putArray("model_version_status");
    for (VersionStatus version : core.models().status(target)) {
      ObjectNode entry = versions.addObject();
      entry.put("version", Long.toString(version.version()));
      entry.put("state", version.state().name());
      ObjectNode status = entry.putObject("status");
      status.put("error_code", version.error().isPresent() ? "UNKNOWN" : "OK");
      status.put("error_message", version.error().orElse(""));
    }
    return root;
  }

  /** GetModelMetadataResponse in protobuf's JSON mapping, every SignatureDef as loaded. */
  private ObjectNode metadata(VersionRequest target) {
    try (Servable servable = core.models().acquire(target)) {
      ObjectNode root = JSON.createObjectNode();
      ObjectNode spec = root.putObject("model_spec");
      spec.put("name", servable.name());
      spec.put("signature_name", "");
      spec.put("version", Long.toString(servable.version()));
      ObjectNode defs = root.putObject("metadata").putObject("signature_def")
          .putObject("signature_def");
      servable.model().metaGraphDef().getSignatureDefMap().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> defs.set(e.getKey(), signatureDef(e.getValue())));
      return root;
    }
  }

  private static ObjectNode signatureDef(SignatureDef def) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    ObjectNode inputs = node.putObject("inputs");
    def.getInputsMap().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> inputs.set(e.getKey(), tensorInfo(e.getValue())));
    ObjectNode outputs = node.putObject("outputs");
    def.getOutputsMap().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> outputs.set(e.getKey(), tensorInfo(e.getValue())));
    node.put("method_name", def.getMethodName());
    node.putObject("defaults");
    return node;
  }

  private static ObjectNode tensorInfo(TensorInfo info) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("dtype", info.getDtype().name());
    ObjectNode shape = node.putObject("tensor_shape");
    ArrayNode dims = shape.putArray("dim");
    for (TensorShapeProto.Dim dim : info.getTensorShape().getDimList()) {
      ObjectNode d = dims.addObject();
      d.put("size", Long.toString(dim.getSize()));  // int64 is a string in protobuf's JSON
      d.put("name", dim.getName());
    }
    shape.put("unknown_rank", info.getTensorShape().getUnknownRank());
    node.put("name", info.getName());
    return node;
  }

  /** Not TF Serving's: the version served, predictions in flight and the batches run so far. */
  private ObjectNode stats(VersionRequest target) {
    ObjectNode root = JSON.createObjectNode();
    try (Servable servable = core.models().acquire(target)) {
      root.put("model", servable.name());
      root.put("version", Long.toString(servable.version()));
    }
    root.put("in_flight_predictions", core.inFlightPredictions());
    ObjectNode batching = root.putObject("batching");
    batching.put("enabled", core.batching().isPresent());
    core.batching().ifPresent(options -> {
      batching.put("max_batch_size", options.maxBatchSize());
      batching.put("batch_timeout_micros", options.batchTimeout().toNanos() / 1000);
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
        JsonNode request = requestObject(exchange, "\"instances\" or \"inputs\"");
        String key = signatureKey(request);
        call.describeModel(target.model());
        boolean rows = request.has("instances");
        if (rows == request.has("inputs")) {
          throw ServingException.invalidArgument(rows
              ? "the request has both \"instances\" and \"inputs\"; send one"
              : "the request has neither \"instances\" (row format) nor \"inputs\" (columnar"
                  + " format)");
        }
        try (Servable servable = core.models().acquire(target)) {
          Predictor predictor = servable.predictor(key);
          call.describe(servable.name(), key);
          SignatureInfo signature = predictor.signature();
          Map<String, TensorValue> inputs = rows
              ? RequestFormats.fromInstances(request.get("instances"), signature)
              : RequestFormats.fromInputs(request.get("inputs"), signature);
          Prediction prediction = call.run(predictor, inputs);
          sendJson(exchange, 200, out -> writePrediction(out, prediction, rows));
        }
      } catch (RuntimeException e) {
        throw failed(call, e);
      }
    }
  }

  /**
   * TF Serving's {@code :classify} and {@code :regress}: tf.Example objects in, {@code
   * {"results": [[["label", score], ...], ...]}} or {@code {"results": [value, ...]}} out.
   */
  private void classifyOrRegress(HttpServerExchange exchange, VersionRequest target,
      Method method) {
    try (var call = core.begin(method.api(), "REST")) {
      try {
        JsonNode request = requestObject(exchange, "\"examples\"");
        String key = signatureKey(request);
        call.describeModel(target.model());
        TensorValue examples = ExampleTasks.examples(
            JsonExamples.examples(request, method.api()), JsonExamples.context(request));
        int rows = (int) examples.rows();
        try (Servable servable = core.models().acquire(target)) {
          Predictor predictor = ExampleTasks.predictor(servable, key, method);
          call.describe(servable.name(), key);
          Prediction prediction = call.run(predictor, Map.of(ExampleTasks.INPUTS, examples));
          if (method == Method.REGRESS) {
            float[] values = ExampleTasks.regressions(prediction, rows);
            sendJson(exchange, 200, out -> {
              out.writeStartObject();
              out.writeArrayFieldStart("results");
              for (float value : values) {
                out.writeNumber(value);
              }
              out.writeEndArray();
              out.writeEndObject();
            });
            return;
          }
          ExampleTasks.Classifications classes = ExampleTasks.classifications(prediction, rows);
          sendJson(exchange, 200, out -> {
            out.writeStartObject();
            out.writeArrayFieldStart("results");
            for (int i = 0; i < classes.examples(); i++) {
              out.writeStartArray();
              for (int c = 0; c < classes.classes(); c++) {
                out.writeStartArray();
                out.writeString(new String(classes.label(i, c), StandardCharsets.UTF_8));
                out.writeNumber(classes.score(i, c));
                out.writeEndArray();
              }
              out.writeEndArray();
            }
            out.writeEndArray();
            out.writeEndObject();
          });
        }
      } catch (RuntimeException e) {
        throw failed(call, e);
      }
    }
  }

  /** The request body as a JSON object: read within the limit, decompressed, parsed. */
  private JsonNode requestObject(HttpServerExchange exchange, String expected) {
    JsonNode request = parse(NonFiniteNumbers.spellOut(decompressed(exchange,
        readBody(exchange))));
    if (!request.isObject()) {
      throw ServingException.invalidArgument("the request body must be a JSON object with "
          + expected);
    }
    return request;
  }

  /** Records how a model-running request failed; a body over the limit stays a 413. */
  private static RuntimeException failed(ServingCore.Call call, RuntimeException e) {
    if (e instanceof ApiException tooLarge) {
      // counted as gRPC counts a message over its limit
      call.failed(new ServingException(ServingException.Code.RESOURCE_EXHAUSTED,
          tooLarge.getMessage()));
      return tooLarge;
    }
    return call.failed(e);
  }

  /** The signature a request names; {@code serving_default} when it names none. */
  private static String signatureKey(JsonNode request) {
    JsonNode signatureName = request.get("signature_name");
    if (signatureName == null) {
      return SignatureInfo.DEFAULT_KEY;
    }
    if (!signatureName.isTextual()) {  // null included, as TF Serving has it
      throw ServingException.invalidArgument("\"signature_name\" must be a string");
    }
    return signatureName.textValue().isEmpty() ? SignatureInfo.DEFAULT_KEY
        : signatureName.textValue();
  }

  /** TF Serving's answers: "predictions" row by row, or "outputs" whole. */
  private static void writePrediction(JsonGenerator out, Prediction prediction, boolean rows)
      throws IOException {
    Map<String, TensorValue> outputs = prediction.outputs();
    boolean single = outputs.size() == 1;
    out.writeStartObject();
    if (!rows) {
      out.writeFieldName("outputs");
      if (single) {
        var only = outputs.entrySet().iterator().next();
        JsonTensors.write(out, only.getKey(), only.getValue());
      } else {
        out.writeStartObject();
        for (var e : outputs.entrySet()) {
          out.writeFieldName(e.getKey());
          JsonTensors.write(out, e.getKey(), e.getValue());
        }
        out.writeEndObject();
      }
      out.writeEndObject();
      return;
    }
    long batch = RequestFormats.commonBatch(outputs);
    out.writeArrayFieldStart("predictions");
    for (int row = 0; row < batch; row++) {
      if (single) {
        var only = outputs.entrySet().iterator().next();
        JsonTensors.writeRow(out, only.getKey(), only.getValue(), row);
      } else {
        out.writeStartObject();
        for (var e : outputs.entrySet()) {
          out.writeFieldName(e.getKey());
          JsonTensors.writeRow(out, e.getKey(), e.getValue(), row);
        }
        out.writeEndObject();
      }
    }
    out.writeEndArray();
    out.writeEndObject();
  }

  /**
   * The whole body, or 413 when it is over the limit. An oversized body is still read and thrown
   * away, up to {@link #DRAIN_BYTES} more: a server that answers and closes while the client is
   * still sending makes the client's TCP stack discard the answer on the reset.
   */
  private byte[] readBody(HttpServerExchange exchange) {
    long declared = exchange.getRequestContentLength();
    try (InputStream in = exchange.getInputStream()) {
      if (declared > maxRequestBytes) {
        if (declared > maxRequestBytes + DRAIN_BYTES || !drain(in)) {
          exchange.setPersistent(false);
        }
        throw tooLarge(declared);
      }
      byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1));
      if (body.length > maxRequestBytes) {
        if (!drain(in)) {
          exchange.setPersistent(false);
        }
        throw tooLarge(-1);
      }
      return body;
    } catch (RequestTooBigException e) {
      exchange.setPersistent(false);
      throw tooLarge(-1);
    } catch (IOException e) {
      // the client went away or broke the framing; nothing is listening for a 500
      throw ServingException.invalidArgument("cannot read the request body: " + e.getMessage());
    }
  }

  /** Reads and drops the rest of the body; false when it went on past the drain limit. */
  private static boolean drain(InputStream in) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long dropped = 0;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      dropped += n;
      if (dropped > DRAIN_BYTES) {
        return false;
      }
    }
    return true;
  }

  private ApiException tooLarge(long declared) {
    return new ApiException(413, "the request body" + (declared > 0 ? " of " + declared
        + " bytes" : "") + " is larger than the limit of " + maxRequestBytes + " bytes");
  }

  /** A body sent with {@code Content-Encoding: gzip}, decompressed, within the size limit. */
  private byte[] decompressed(HttpServerExchange exchange, byte[] body) {
    String encoding = exchange.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING);
    if (encoding == null || !encoding.contains("gzip")) {
      return body;
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      byte[] plain = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1));
      if (plain.length > maxRequestBytes) {
        throw new ApiException(413, "the request body decompresses to more than the limit of "
            + maxRequestBytes + " bytes");
      }
      return plain;
    } catch (IOException e) {
      throw ServingException.invalidArgument("the request body is not valid gzip (Content-Encoding: "
          + encoding + "): " + e.getMessage());
    }
  }

  private static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw ServingException.invalidArgument("the request body is empty; expected a JSON object");
    }
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException e) {
      var location = e.getLocation();
      // Jackson names the source even when told not to show it: "[Source: REDACTED (...); line"
      String message = e.getOriginalMessage().replaceAll("\\[Source: .*?; line:", "[line:");
      throw ServingException.invalidArgument("malformed JSON: " + message
          + (location == null ? "" : " at line " + location.getLineNr() + ", column "
          + location.getColumnNr()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private interface JsonBody {
    void write(JsonGenerator out) throws IOException;
  }

  private static void sendJson(HttpServerExchange exchange, int status, JsonNode node) {
    sendJson(exchange, status, out -> JSON.writeTree(out, node));
  }

  private static void sendJson(HttpServerExchange exchange, int status, JsonBody body) {
    var bytes = new ByteArrayOutputStream();
    try (JsonGenerator out = JSON.getFactory().createGenerator(bytes)) {
      body.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, bytes.size());
    exchange.getResponseSender().send(ByteBuffer.wrap(bytes.toByteArray()));
  }

  static void sendError(HttpServerExchange exchange, int status, String message) {
    if (exchange.isResponseStarted()) {
      exchange.endExchange();
      return;
    }
    String oneLine = message == null ? "error" : message.replaceAll("\\s*\\R\\s*", " ").strip();
    ObjectNode node = JSON.createObjectNode().put("error", oneLine);
    sendJson(exchange, status, node);
  }
}
