package dev.tfmnist.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfmnist.loader.Classification;
import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.loader.SignatureNotFoundException;
import dev.tfmnist.loader.TensorSpec;
import dev.tfmnist.server.ServingCore;
import dev.tfmnist.server.ServingException;
import dev.tfmnist.server.models.Servable;
import dev.tfmnist.server.models.VersionRequest;
import io.undertow.server.HttpServerExchange;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.proto.DataType;

/**
 * The page's two endpoints, over the serving core and the loader's image classifier:
 *
 * <ul>
 *   <li>{@code GET /ui/v1/models}: every model, served version and signature, each marked as an
 *       image classifier {@link ImageClassifier} understands or with the reason it is not, and
 *       {@code metrics_path}, where the metrics are (null when nowhere);
 *   <li>{@code POST /ui/v1/predict} with {@code {"model": "mnist", "version": "3" (or
 *       "version_label"), "signature_name": "...", "image": {"b64": "..."}}}: the picture made
 *       into MNIST's 28x28 form by {@link DigitImages} and classified through the core (batched,
 *       within the deadline), answering {@code {"model", "version", "signature_name",
 *       "predicted_class", "probabilities", "model_input", "model_input_format", "input",
 *       "server_ms"}}.
 * </ul>
 *
 * <p>Models, versions and labels resolve as in the REST API; requests count in the metrics under
 * the entry point {@code UI}. Errors are {@code {"error": ...}} of one line, 400 for bad input.
 */
final class UiApi {
  /** The metrics' entry point label of the page's requests (TF Serving's are REST and GRPC). */
  static final String ENTRYPOINT = "UI";

  private final ServingCore core;
  private final RequestBody body;
  private final String metricsPath;

  UiApi(ServingCore core, long maxRequestBytes, String metricsPath) {
    this.core = core;
    this.body = new RequestBody(maxRequestBytes);
    this.metricsPath = metricsPath;
  }

  /** The picker's data: models, their served versions and labels, their signatures. */
  void models(HttpServerExchange exchange) {
    try (var call = core.begin("metadata", ENTRYPOINT)) {
      try {
        ObjectNode root = RestJson.JSON.createObjectNode();
        root.put("metrics_path", metricsPath);
        ArrayNode models = root.putArray("models");
        for (String name : core.models().models()) {
          ObjectNode model = models.addObject().put("name", name);
          ArrayNode versions = model.putArray("versions");
          Map<String, Long> labels = core.models().config(name)
              .map(config -> config.labels()).orElse(Map.of());
          for (long number : new TreeSet<>(core.models().servingVersions(name)).descendingSet()) {
            try (Servable servable = core.models().acquire(VersionRequest.version(name, number))) {
              ObjectNode version = versions.addObject()
                  .put("version", Long.toString(number));
              ArrayNode labelled = version.putArray("labels");
              new TreeMap<>(labels).forEach((label, v) -> {
                if (v == number) {
                  labelled.add(label);
                }
              });
              signatures(servable.model(), version.putArray("signatures"));
            } catch (ServingException unloadedMeanwhile) {
              // the poller retired it between the listing and the hold: not served any more
            }
          }
          if (versions.isEmpty()) {
            model.put("why_not_serving", core.models().whyNotServing(name));
          }
        }
        RestJson.send(exchange, 200, root);
      } catch (RuntimeException e) {
        throw RestApi.failed(call, e);
      }
    }
  }

  private static void signatures(LoadedModel model, ArrayNode out) {
    var keys = new ArrayList<>(model.signatures().keySet());
    keys.sort((a, b) -> a.equals(SignatureInfo.DEFAULT_KEY) ? -1
        : b.equals(SignatureInfo.DEFAULT_KEY) ? 1 : a.compareTo(b));
    for (String key : keys) {
      SignatureInfo signature = model.signatures().get(key);
      ObjectNode entry = out.addObject().put("name", key)
          .put("method", signature.methodName());
      ArrayNode inputs = entry.putArray("inputs");
      signature.inputs().values().forEach(spec -> inputs.add(describe(spec)));
      ArrayNode outputs = entry.putArray("outputs");
      signature.outputs().values().forEach(spec -> outputs.add(describe(spec)));
      try {
        ImageClassifier classifier = classifier(model, key);
        entry.put("image_classifier", true)
            .put("input", describe(classifier.input()))
            .put("input_form", classifier.takesEncodedImages() ? "png" : "pixels")
            .put("output", describe(classifier.output()))
            .put("answers", classifier.output().rank() == 1 ? "class ids" : "scores");
      } catch (ServingException e) {
        entry.put("image_classifier", false).put("why_not", e.getMessage());
      }
    }
  }

  private static String describe(TensorSpec spec) {
    return spec.key() + " " + spec.describe();
  }

  /**
   * The signature's image classifier: 28x28 images, 10 classes.
   *
   * @throws ServingException FAILED_PRECONDITION for a signature the model lacks (TF Serving's
   *     text), INVALID_ARGUMENT naming why the signature is not an image classifier
   */
  private static ImageClassifier classifier(LoadedModel model, String key) {
    SignatureInfo signature;
    try {
      signature = model.signature(key);
    } catch (SignatureNotFoundException e) {
      throw ServingCore.translate(e);
    }
    String method = signature.methodName();
    if (method.endsWith("/classify") || method.endsWith("/regress")) {
      throw ServingException.invalidArgument("not an image classifier: signature " + key
          + " takes serialized tf.Example protos (method " + method + ")");
    }
    try {
      return ImageClassifier.builder(model).signature(key).build();
    } catch (InvalidInputException e) {
      throw ServingException.invalidArgument("not an image classifier: " + e.getMessage());
    }
  }

  /** Classifies the picture in the request with the model, version and signature it names. */
  void predict(HttpServerExchange exchange) {
    try (var call = core.begin("predict", ENTRYPOINT)) {
      try {
        long start = System.nanoTime();
        JsonNode request = body.object(exchange, "\"model\" and \"image\"");
        VersionRequest target = target(request);
        String key = text(request, "signature_name", SignatureInfo.DEFAULT_KEY);
        byte[] image = image(request);
        call.describeModel(target.model());
        try (Servable servable = core.models().acquire(target)) {
          ImageClassifier classifier = classifier(servable.model(), key);
          call.describe(servable.name(), key);
          float[] pixels = DigitImages.toMnist(image);
          var prediction = call.run(classifier.predictor(), classifier.inputs(pixels, 1));
          Classification answer = classifier.classifications(prediction, 1).get(0);
          ObjectNode root = RestJson.JSON.createObjectNode()
              .put("model", servable.name())
              .put("version", Long.toString(servable.version()))
              .put("signature_name", key)
              .put("predicted_class", answer.predictedClass());
          if (answer.hasScores()) {
            ArrayNode probabilities = root.putArray("probabilities");
            for (float p : answer.probabilities()) {
              probabilities.add(p);
            }
          } else {
            root.putNull("probabilities");
          }
          ArrayNode fed = root.putArray("model_input");
          for (float p : pixels) {
            fed.add(p);
          }
          root.put("model_input_format", classifier.takesEncodedImages() ? "png" : "pixels")
              .put("input", describe(classifier.input()) + (classifier.input().dtype()
                  == DataType.DT_UINT8 ? " (0..255)" : ""))
              .put("server_ms", Math.round((System.nanoTime() - start) / 1e4) / 100.0);
          RestJson.send(exchange, 200, root);
        }
      } catch (RuntimeException e) {
        throw RestApi.failed(call, e);
      }
    }
  }

  /** The model and version the request names: the latest, a number, or a label. */
  private static VersionRequest target(JsonNode request) {
    String model = text(request, "model", null);
    if (model == null || model.isEmpty()) {
      throw ServingException.invalidArgument("the request names no \"model\"");
    }
    JsonNode version = request.get("version");
    String label = text(request, "version_label", null);
    if (version != null && !version.isNull()) {
      if (label != null) {
        throw ServingException.invalidArgument(
            "the request names both \"version\" and \"version_label\"; send one");
      }
      String number = version.isIntegralNumber() ? version.asText()
          : version.isTextual() ? version.textValue() : "";
      if (!number.matches("[0-9]{1,18}")) {
        throw ServingException.invalidArgument("\"version\" must be a version number, got "
            + version);
      }
      return VersionRequest.version(model, Long.parseLong(number));
    }
    return label != null ? VersionRequest.label(model, label) : VersionRequest.latest(model);
  }

  private static String text(JsonNode request, String field, String fallback) {
    JsonNode node = request.get(field);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isTextual()) {
      throw ServingException.invalidArgument("\"" + field + "\" must be a string");
    }
    return node.textValue();
  }

  /** The picture's bytes, from {@code "image": {"b64": "..."}}. */
  private static byte[] image(JsonNode request) {
    JsonNode b64 = request.path("image").get("b64");
    if (b64 == null || !b64.isTextual()) {
      throw ServingException.invalidArgument(
          "the request has no image: send \"image\": {\"b64\": \"<base64 of a PNG or JPEG>\"}");
    }
    try {
      return Base64.getDecoder().decode(b64.textValue());
    } catch (IllegalArgumentException e) {
      throw ServingException.invalidArgument("\"image\" is not valid base64: " + e.getMessage());
    }
  }
}
