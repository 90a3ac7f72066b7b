package dev.tfmnist.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int64Value;
import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.TensorValue;
import dev.tfmnist.server.api.GetModelMetadataRequest;
import dev.tfmnist.server.api.GetModelStatusRequest;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.api.ModelVersionStatus;
import dev.tfmnist.server.api.SignatureDefMap;
import dev.tfmnist.server.api.StatusProto;
import dev.tfmnist.server.batching.BatchingOptions;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.testing.TestModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.SignatureDef;

/**
 * The core's services called as a front end calls them, with no transport in between: what
 * answers, with what, and with which of TF Serving's codes it refuses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CoreServicesTest {
  private LoadedModel model;
  private ModelManager models;
  private ServingCore core;
  private InferenceService inference;
  private ModelInfoService info;
  private final float[] images = TestModels.testImages(0, 3);

  @BeforeAll
  void start() throws Exception {
    model = LoadedModel.load(TestModels.tf1Model());
    models = ModelManager.serving("mnist", 4, model);
    core = new ServingCore(models, BatchingOptions.DEFAULT, Duration.ofSeconds(30));
    inference = new InferenceService(core);
    info = new ModelInfoService(core);
  }

  @AfterAll
  void stop() {
    core.close();
    models.close();
    model.close();
  }

  private InferenceService.PredictResult predict(ModelSpec spec, List<String> outputs) {
    try (var call = core.begin("predict", "TEST")) {
      try {
        return inference.predict(call, spec, signature ->
            Map.of("xs", TensorValue.ofFloats(Shape.of(3, 784), images)), outputs);
      } catch (RuntimeException e) {
        throw call.failed(e);
      }
    }
  }

  @Test
  void predictAnswersWithTheModelsOwnOutputsAndNamesWhatAnswered() {
    var result = predict(ModelSpecs.of("mnist"), List.of());
    var direct = model.predictor().predict(TensorValue.ofFloats(Shape.of(3, 784), images));
    assertEquals(ModelSpec.newBuilder().setName("mnist").setVersion(Int64Value.of(4))
        .setSignatureName("serving_default").build(), result.spec());
    assertArrayEquals(direct.output("classes").longs(),
        result.prediction().output("classes").longs());
    assertArrayEquals(direct.output("probabilities").floats(),
        result.prediction().output("probabilities").floats());
    var filtered = predict(ModelSpecs.of("mnist"), List.of("classes"));
    assertEquals(List.of("classes"), List.copyOf(filtered.prediction().outputs().keySet()));
  }

  @Test
  void predictRefusesWithTfServingsCodes() {
    var noModel = assertThrows(ServingException.class, () -> predict(ModelSpecs.of("other"),
        List.of()));
    assertEquals(ServingException.Code.NOT_FOUND, noModel.code());
    var noVersion = assertThrows(ServingException.class, () -> predict(ModelSpec.newBuilder()
        .setName("mnist").setVersion(Int64Value.of(3)).build(), List.of()));
    assertEquals(ServingException.Code.NOT_FOUND, noVersion.code());
    var noSignature = assertThrows(ServingException.class, () -> predict(ModelSpec.newBuilder()
        .setName("mnist").setSignatureName("nope").build(), List.of()));
    assertEquals(ServingException.Code.FAILED_PRECONDITION, noSignature.code());
    var noName = assertThrows(ServingException.class, () -> predict(
        ModelSpec.getDefaultInstance(), List.of()));
    assertEquals(ServingException.Code.INVALID_ARGUMENT, noName.code());
    try (var call = core.begin("predict", "TEST")) {
      var badInput = assertThrows(ServingException.class, () -> {
        try {
          inference.predict(call, ModelSpecs.of("mnist"), signature ->
              Map.of("xs", TensorValue.ofFloats(Shape.of(1, 783), new float[783])), List.of());
        } catch (RuntimeException e) {
          throw call.failed(e);
        }
      });
      assertEquals(ServingException.Code.INVALID_ARGUMENT, badInput.code());
      assertTrue(badInput.getMessage().contains("783"), badInput.getMessage());
    }
  }

  @Test
  void statusAndMetadataAreTfServingsMessages() throws Exception {
    try (var call = core.begin("status", "TEST")) {
      var status = info.status(call, GetModelStatusRequest.newBuilder()
          .setModelSpec(ModelSpecs.of("mnist")).build());
      assertEquals(1, status.getModelVersionStatusCount());
      var version = status.getModelVersionStatus(0);
      assertEquals(4, version.getVersion());
      assertEquals(ModelVersionStatus.State.AVAILABLE, version.getState());
      assertEquals(StatusProto.Code.OK, version.getStatus().getErrorCode());
    }
    try (var call = core.begin("metadata", "TEST")) {
      var metadata = info.metadata(call, GetModelMetadataRequest.newBuilder()
          .setModelSpec(ModelSpecs.of("mnist")).addMetadataField("signature_def").build());
      assertEquals("", metadata.getModelSpec().getSignatureName());
      var defs = metadata.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class);
      assertEquals(model.metaGraphDef().getSignatureDefMap().keySet(),
          defs.getSignatureDefMap().keySet());
      assertEquals(model.metaGraphDef().getSignatureDefOrThrow("serving_default"),
          SignatureDef.parseFrom(defs.getSignatureDefOrThrow("serving_default")));
      var unknownField = assertThrows(ServingException.class, () -> info.metadata(call,
          GetModelMetadataRequest.newBuilder().setModelSpec(ModelSpecs.of("mnist"))
              .addMetadataField("graph").build()));
      assertEquals(ServingException.Code.INVALID_ARGUMENT, unknownField.code());
    }
  }
}
