package dev.tfmnist.server;

import com.google.protobuf.Int64Value;
import dev.tfmnist.loader.SignatureInfo;
import dev.tfmnist.server.api.ModelSpec;
import dev.tfmnist.server.models.VersionRequest;

/**
 * TF Serving's {@link ModelSpec}, the one way every front end names a model, a version (or label)
 * and a signature, and how the core reads it.
 */
public final class ModelSpecs {
  private ModelSpecs() {}

  /**
   * The latest version of a model, its default signature.
   *
   * @param model the model's name
   * @return the spec
   */
  public static ModelSpec of(String model) {
    return ModelSpec.newBuilder().setName(model).build();
  }

  /**
   * A spec for a version request and a signature.
   *
   * @param target the model and the version or label, or neither for the latest
   * @param signature a signature key; empty for {@code serving_default}
   * @return the spec
   */
  public static ModelSpec of(VersionRequest target, String signature) {
    var spec = ModelSpec.newBuilder().setName(target.model()).setSignatureName(signature);
    target.version().ifPresent(v -> spec.setVersion(Int64Value.of(v)));
    target.label().ifPresent(spec::setVersionLabel);
    return spec.build();
  }

  /**
   * The model and version a spec names.
   *
   * @param spec the spec of a request
   * @return which version to serve it with
   * @throws ServingException INVALID_ARGUMENT when the spec names no model
   */
  public static VersionRequest target(ModelSpec spec) {
    if (spec.getName().isEmpty()) {
      throw ServingException.invalidArgument("Missing ModelSpec: model_spec.name is empty");
    }
    return switch (spec.getVersionChoiceCase()) {
      case VERSION -> VersionRequest.version(spec.getName(), spec.getVersion().getValue());
      case VERSION_LABEL -> VersionRequest.label(spec.getName(), spec.getVersionLabel());
      case VERSIONCHOICE_NOT_SET -> VersionRequest.latest(spec.getName());
    };
  }

  /**
   * The signature a spec names.
   *
   * @param spec the spec of a request
   * @return its signature name, or {@code serving_default} when it names none
   */
  public static String signatureKey(ModelSpec spec) {
    return spec.getSignatureName().isEmpty() ? SignatureInfo.DEFAULT_KEY
        : spec.getSignatureName();
  }
}
