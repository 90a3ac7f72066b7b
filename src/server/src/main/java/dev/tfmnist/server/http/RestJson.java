package dev.tfmnist.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.FailureLog;
import dev.tfmnist.server.ModelInfoService;
import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.api.ClassificationResult;
import dev.tfmnist.server.api.GetModelMetadataResponse;
import dev.tfmnist.server.api.RegressionResult;
import dev.tfmnist.server.api.SignatureDefMap;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.SignatureDef;

/**
 * What the REST API writes: TF Serving's messages in protobuf's JSON mapping (as TF Serving
 * renders them, field names as in the .proto, default values included), predictions in its row
 * and columnar forms, classify and regress results, and errors as {@code {"error": ...}}.
 */
final class RestJson {
  /** Reads NaN and Infinity, writes them bare, and rejects duplicate keys: TF Serving's JSON. */
  static final JsonMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .build();

  private static final JsonFormat.Printer PROTO_JSON = JsonFormat.printer()
      .includingDefaultValueFields()
      .preservingProtoFieldNames()
      .sortingMapKeys()
      .omittingInsignificantWhitespace();

  private RestJson() {}

  /** Writes a JSON body. */
  interface Body {
    void write(JsonGenerator out) throws IOException;
  }

  /** A message in protobuf's JSON mapping, as a tree. */
  static JsonNode proto(MessageOrBuilder message) {
    try {
      return JSON.readTree(PROTO_JSON.print(message));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * GetModelMetadataResponse as TF Serving's REST API renders it: the Any under {@code
   * signature_def} unpacked, each SignatureDef in protobuf's JSON mapping.
   */
  static JsonNode metadata(GetModelMetadataResponse response) {
    ObjectNode root = JSON.createObjectNode();
    root.set("model_spec", proto(response.getModelSpec()));
    ObjectNode defs = root.putObject("metadata").putObject(ModelInfoService.SIGNATURE_DEF)
        .putObject(ModelInfoService.SIGNATURE_DEF);
    try {
      var map = response.getMetadataOrThrow(ModelInfoService.SIGNATURE_DEF)
          .unpack(SignatureDefMap.class);
      for (var e : new TreeMap<>(map.getSignatureDefMap()).entrySet()) {
        defs.set(e.getKey(), proto(SignatureDef.parseFrom(e.getValue())));
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the server's own SignatureDefMap does not parse", e);
    }
    return root;
  }

  /** TF Serving's answers: "predictions" row by row, or "outputs" whole. */
  static void writePrediction(JsonGenerator out, Prediction prediction, boolean rows)
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

  /** {@code {"results": [[["label", score], ...], ...]}}, TF Serving's :classify answer. */
  static void writeClassifications(JsonGenerator out, ClassificationResult result)
      throws IOException {
    out.writeStartObject();
    out.writeArrayFieldStart("results");
    for (var classifications : result.getClassificationsList()) {
      out.writeStartArray();
      for (var c : classifications.getClassesList()) {
        out.writeStartArray();
        out.writeString(c.getLabel());
        out.writeNumber(c.getScore());
        out.writeEndArray();
      }
      out.writeEndArray();
    }
    out.writeEndArray();
    out.writeEndObject();
  }

  /** {@code {"results": [value, ...]}}, TF Serving's :regress answer. */
  static void writeRegressions(JsonGenerator out, RegressionResult result) throws IOException {
    out.writeStartObject();
    out.writeArrayFieldStart("results");
    for (var regression : result.getRegressionsList()) {
      out.writeNumber(regression.getValue());
    }
    out.writeEndArray();
    out.writeEndObject();
  }

  static void send(HttpServerExchange exchange, int status, JsonNode node) {
    send(exchange, status, out -> JSON.writeTree(out, node));
  }

  static void send(HttpServerExchange exchange, int status, Body body) {
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

  /**
   * Answers what a request threw: an HTTP-only failure with its status, the core's failures with
   * TF Serving's status for their code, anything else as 500 and a line in the failure log.
   */
  static void sendFailure(HttpServerExchange exchange, FailureLog failures, RuntimeException e) {
    if (e instanceof ApiException api) {
      sendError(exchange, api.status(), api.getMessage());
    } else if (e instanceof ServingException serving) {
      sendError(exchange, HttpStatuses.of(serving.code()), serving.getMessage());
    } else {
      failures.serverError("internal error serving " + exchange.getRequestMethod() + " "
          + exchange.getRequestPath(), e);
      sendError(exchange, 500, "internal error: " + e);
    }
  }

  static void sendError(HttpServerExchange exchange, int status, String message) {
    if (exchange.isResponseStarted()) {
      exchange.endExchange();
      return;
    }
    String oneLine = message == null ? "error" : message.replaceAll("\\s*\\R\\s*", " ").strip();
    send(exchange, status, JSON.createObjectNode().put("error", oneLine));
  }
}
