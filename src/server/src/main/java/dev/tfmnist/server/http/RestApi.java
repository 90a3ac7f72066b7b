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
import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.PredictionException;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.batching.BatchStats;
import dev.tfmnist.server.batching.DynamicBatcher;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * TensorFlow Serving's REST API for one model: status, metadata and predict, with and without
 * {@code /versions/N}. Runs on Undertow's worker threads; request bodies are read whole (the
 * server caps their size) and parsed with Jackson.
 */
final class RestApi implements HttpHandler {
  private static final Pattern RESOURCE = Pattern.compile(
      "/v1/models/([^/:]+)(?:/versions/([0-9]+))?(?:/(metadata|stats))?/?");
  private static final Pattern VERB = Pattern.compile(
      "/v1/models/([^/:]+)(?:/versions/([0-9]+))?:([A-Za-z]+)");
  private static final Pattern LABELS = Pattern.compile("/v1/models/[^/:]+/labels/.*");

  /** Reads NaN and Infinity, writes them bare, and rejects duplicate keys: TF Serving's JSON. */
  static final JsonMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .build();

  /** How much of an oversized body is read and dropped so that the 413 reaches the client. */
  static final long DRAIN_BYTES = 64L << 20;

  private final LoadedModel model;
  private final String name;
  private final long version;
  private final long maxRequestBytes;
  private final Optional<DynamicBatcher> batcher;
  private final Map<String, Predictor> predictors = new ConcurrentHashMap<>();
  private final AtomicInteger inFlightPredictions = new AtomicInteger();
  /** Predictions being read and parsed, not yet handed to the batcher: its hint to wait. */
  private final AtomicInteger arriving;

  RestApi(LoadedModel model, String name, long version, long maxRequestBytes,
      Optional<DynamicBatcher> batcher, AtomicInteger arriving) {
    this.arriving = arriving;
    this.model = model;
    this.name = name;
    this.version = version;
    this.maxRequestBytes = maxRequestBytes;
    this.batcher = batcher;
  }

  int inFlightPredictions() {
    return inFlightPredictions.get();
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
      checkModel(verb.group(1), verb.group(2));
      switch (verb.group(3)) {
        case "predict" -> predict(exchange);
        case "classify", "regress" -> throw ApiException.badRequest(":" + verb.group(3)
            + " needs a classification or regression signature; this server answers :predict");
        default -> throw ApiException.badRequest("Malformed request: " + method + " " + path);
      }
      return;
    }
    Matcher resource = RESOURCE.matcher(path);
    if (resource.matches() && method.equals(Methods.GET)) {
      checkModel(resource.group(1), resource.group(2));
      String what = resource.group(3);
      if (what == null) {
        sendJson(exchange, 200, status());
      } else if (what.equals("metadata")) {
        sendJson(exchange, 200, metadata());
      } else {
        sendJson(exchange, 200, stats());
      }
      return;
    }
    if (LABELS.matcher(path).matches()) {
      throw ApiException.notFound("version labels are not supported; use /versions/" + version);
    }
    // TF Serving answers a path or method it does not serve with 400, naming both
    throw ApiException.badRequest("Malformed request: " + method + " " + path);
  }

  /** 404 for another model's name or a version this server does not have, as TF Serving says it. */
  private void checkModel(String requestedName, String requestedVersion) {
    if (requestedVersion != null) {
      long number;
      try {
        number = Long.parseLong(requestedVersion);  // 01 is version 1, as TF Serving reads it
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("Failed to convert version: " + requestedVersion
            + " to numeric.");
      }
      if (!requestedName.equals(name) || number != version) {
        throw ApiException.notFound("Servable not found for request: Specific(" + requestedName
            + ", " + requestedVersion + ")");
      }
    } else if (!requestedName.equals(name)) {
      throw ApiException.notFound("Servable not found for request: Latest(" + requestedName + ")");
    }
  }

  private ObjectNode status() {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode entry = root.putArray("model_version_status").addObject();
    entry.put("version", Long.toString(version));
    entry.put("state", "AVAILABLE");
    ObjectNode status = entry.putObject("status");
    status.put("error_code", "OK");
    status.put("error_message", "");
    return root;
  }

  /** GetModelMetadataResponse in protobuf's JSON mapping, every SignatureDef as loaded. */
  private ObjectNode metadata() {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode spec = root.putObject("model_spec");
    spec.put("name", name);
    spec.put("signature_name", "");
    spec.put("version", Long.toString(version));
    ObjectNode defs = root.putObject("metadata").putObject("signature_def")
        .putObject("signature_def");
    model.metaGraphDef().getSignatureDefMap().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> defs.set(e.getKey(), signatureDef(e.getValue())));
    return root;
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

  private ObjectNode stats() {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", name);
    root.put("version", Long.toString(version));
    root.put("in_flight_predictions", inFlightPredictions.get());
    ObjectNode batching = root.putObject("batching");
    batching.put("enabled", batcher.isPresent());
    batcher.ifPresent(b -> {
      batching.put("max_batch_size", b.options().maxBatchSize());
      batching.put("batch_timeout_micros", b.options().batchTimeout().toNanos() / 1000);
      BatchStats stats = b.stats();
      batching.put("requests", stats.requests());
      batching.put("batches", stats.batches());
      ObjectNode sizes = batching.putObject("batch_sizes");
      stats.batchSizes().forEach((size, count) -> sizes.put(Integer.toString(size), count));
    });
    return root;
  }

  private void predict(HttpServerExchange exchange) {
    inFlightPredictions.incrementAndGet();
    arriving.incrementAndGet();
    boolean parsing = true;
    try {
      JsonNode request = parse(NonFiniteNumbers.spellOut(decompressed(exchange, readBody(exchange))));
      if (!request.isObject()) {
        throw ApiException.badRequest("the request body must be a JSON object with \"instances\""
            + " or \"inputs\"");
      }
      Predictor predictor = predictor(request);
      boolean rows = request.has("instances");
      if (rows == request.has("inputs")) {
        throw ApiException.badRequest(rows
            ? "the request has both \"instances\" and \"inputs\"; send one"
            : "the request has neither \"instances\" (row format) nor \"inputs\" (columnar format)");
      }
      SignatureInfo signature = predictor.signature();
      Map<String, TensorValue> inputs = rows
          ? RequestFormats.fromInstances(request.get("instances"), signature)
          : RequestFormats.fromInputs(request.get("inputs"), signature);
      arriving.decrementAndGet();
      parsing = false;
      Prediction prediction = run(predictor, inputs);
      sendJson(exchange, 200, out -> writePrediction(out, prediction, rows));
    } catch (InvalidInputException e) {
      throw ApiException.badRequest(e.getMessage());
    } catch (PredictionException e) {
      throw new ApiException(e.isInvalidArgument() ? 400 : 500, e.getMessage());
    } catch (IllegalStateException e) {
      // the model or the batcher was closed under this request
      throw new ApiException(503, e.getMessage());
    } finally {
      if (parsing) {
        arriving.decrementAndGet();
      }
      inFlightPredictions.decrementAndGet();
    }
  }

  private Predictor predictor(JsonNode request) {
    JsonNode signatureName = request.get("signature_name");
    String key = SignatureInfo.DEFAULT_KEY;
    if (signatureName != null) {
      if (!signatureName.isTextual()) {  // null included, as TF Serving has it
        throw ApiException.badRequest("\"signature_name\" must be a string");
      }
      key = signatureName.textValue().isEmpty() ? key : signatureName.textValue();
    }
    Predictor cached = predictors.get(key);
    if (cached != null) {
      return cached;
    }
    Predictor predictor = model.predictor(key);  // throws SignatureNotFoundException
    predictors.putIfAbsent(key, predictor);
    return predictor;
  }

  private Prediction run(Predictor predictor, Map<String, TensorValue> inputs) {
    if (batcher.isEmpty()) {
      return predictor.predict(inputs);
    }
    try {
      return batcher.get().submit(predictor, inputs).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted while waiting for the prediction");
    }
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
      throw ApiException.badRequest("cannot read the request body: " + e.getMessage());
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
      throw ApiException.badRequest("the request body is not valid gzip (Content-Encoding: "
          + encoding + "): " + e.getMessage());
    }
  }

  private static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw ApiException.badRequest("the request body is empty; expected a JSON object");
    }
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException e) {
      var location = e.getLocation();
      // Jackson names the source even when told not to show it: "[Source: REDACTED (...); line"
      String message = e.getOriginalMessage().replaceAll("\\[Source: .*?; line:", "[line:");
      throw ApiException.badRequest("malformed JSON: " + message
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
