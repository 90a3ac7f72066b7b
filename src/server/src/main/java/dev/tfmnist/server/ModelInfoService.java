package dev.tfmnist.server;

import com.google.protobuf.Any;
import dev.tfmnist.server.api.GetModelMetadataRequest;
import dev.tfmnist.server.api.GetModelMetadataResponse;
import dev.tfmnist.server.api.GetModelStatusRequest;
import dev.tfmnist.server.api.GetModelStatusResponse;
import dev.tfmnist.server.api.ModelVersionStatus;
import dev.tfmnist.server.api.ReloadConfigRequest;
import dev.tfmnist.server.api.ReloadConfigResponse;
import dev.tfmnist.server.api.SignatureDefMap;
import dev.tfmnist.server.api.StatusProto;
import dev.tfmnist.server.models.ModelConfig;
import dev.tfmnist.server.models.ModelConfigFile;
import dev.tfmnist.server.models.ModelManager;
import dev.tfmnist.server.models.Servable;
import dev.tfmnist.server.models.VersionRequest;
import dev.tfmnist.server.models.VersionStatus;
import java.nio.file.Path;
import java.util.List;

/**
 * TensorFlow Serving's model APIs in the server's own terms, for every front end: a model's
 * version statuses (GetModelStatus), its signature defs (GetModelMetadata) and a new model list
 * (HandleReloadConfigRequest). Answers are TF Serving's messages; the REST API renders the same
 * messages as JSON.
 */
public final class ModelInfoService {
  /** The one metadata field TF Serving knows. */
  public static final String SIGNATURE_DEF = "signature_def";

  private final ServingCore core;

  /**
   * The model APIs over a core.
   *
   * @param core the models requests go to
   */
  public ModelInfoService(ServingCore core) {
    this.core = core;
  }

  /**
   * The statuses of a model's versions, highest first: every version it has had, or the one
   * asked for; a version that failed to load carries UNKNOWN and its error.
   *
   * @param call the request, for its metrics
   * @param request the model spec
   * @return TF Serving's answer
   * @throws ServingException NOT_FOUND for a model or version the server never had,
   *     INVALID_ARGUMENT for an unknown label or no model name
   */
  public GetModelStatusResponse status(ServingCore.Call call, GetModelStatusRequest request) {
    VersionRequest target = ModelSpecs.target(request.getModelSpec());
    call.describeModel(target.model());
    var response = GetModelStatusResponse.newBuilder();
    for (VersionStatus version : core.models().status(target)) {
      response.addModelVersionStatus(ModelVersionStatus.newBuilder()
          .setVersion(version.version())
          .setState(ModelVersionStatus.State.valueOf(version.state().name()))
          .setStatus(StatusProto.newBuilder()
              .setErrorCode(version.error().isPresent() ? StatusProto.Code.UNKNOWN
                  : StatusProto.Code.OK)
              .setErrorMessage(version.error().orElse(""))));
    }
    return response.build();
  }

  /**
   * The signature defs of the version a spec names, as loaded, under {@code signature_def}.
   *
   * @param call the request, for its metrics
   * @param request the model spec and the metadata fields asked for
   * @return TF Serving's answer: the spec that answered (no signature) and a packed
   *     SignatureDefMap
   * @throws ServingException INVALID_ARGUMENT when no field or another field than {@code
   *     signature_def} is asked for, NOT_FOUND for a model or version not served
   */
  public GetModelMetadataResponse metadata(ServingCore.Call call,
      GetModelMetadataRequest request) {
    VersionRequest target = ModelSpecs.target(request.getModelSpec());
    call.describeModel(target.model());
    if (request.getMetadataFieldCount() == 0) {
      throw ServingException.invalidArgument(
          "GetModelMetadataRequest must specify at least one metadata_field");
    }
    for (String field : request.getMetadataFieldList()) {
      if (!field.equals(SIGNATURE_DEF)) {
        throw ServingException.invalidArgument("Metadata field " + field + " is not"
            + " supported; the one metadata field is " + SIGNATURE_DEF);
      }
    }
    try (Servable servable = core.models().acquire(target)) {
      var defs = SignatureDefMap.newBuilder();
      servable.model().metaGraphDef().getSignatureDefMap()
          .forEach((key, def) -> defs.putSignatureDef(key, def.toByteString()));
      return GetModelMetadataResponse.newBuilder()
          .setModelSpec(InferenceService.answered(servable, ""))
          .putMetadata(SIGNATURE_DEF, Any.pack(defs.build()))
          .build();
    }
  }

  /**
   * Serves the models of the request's config from now on, as TF Serving's ModelServerCore
   * ReloadConfig: answers once every listed model has a version serving, or with the error of
   * the first that has none. Relative base paths are taken from the working directory.
   *
   * @param call the request, for its metrics
   * @param request the new model list
   * @return OK
   * @throws ServingException INVALID_ARGUMENT for a bad config, UNKNOWN when a model has no
   *     version serving after the reload
   */
  public ReloadConfigResponse reloadConfig(ServingCore.Call call, ReloadConfigRequest request) {
    List<ModelConfig> configs;
    try {
      configs = ModelConfigFile.fromProto(request.getConfig(), Path.of(""),
          "ReloadConfigRequest");
    } catch (ModelConfigFile.InvalidConfigException e) {
      throw ServingException.invalidArgument(e.getMessage());
    }
    ModelManager models = core.models();
    models.reconfigure(configs);
    for (ModelConfig config : configs) {
      if (models.servingVersions(config.name()).isEmpty()) {
        throw new ServingException(ServingException.Code.UNKNOWN, "model " + config.name()
            + " has no version serving: " + models.whyNotServing(config.name()));
      }
    }
    return ReloadConfigResponse.newBuilder()
        .setStatus(StatusProto.newBuilder().setErrorCode(StatusProto.Code.OK)).build();
  }
}
