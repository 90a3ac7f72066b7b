package dev.tfmnist.server.models;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.Predictor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's hold on a served version, from {@link ModelManager#acquire}: the version stays
 * loaded until every holder has closed its servable. Close it when the request is answered.
 */
public final class Servable implements AutoCloseable {
  private final LoadedVersion version;
  private final AtomicBoolean released = new AtomicBoolean();

  Servable(LoadedVersion version) {
    this.version = version;
  }

  public String name() {
    return version.name();
  }

  public long version() {
    return version.version();
  }

  public LoadedModel model() {
    return version.model();
  }

  /** The version's predictor for a signature, made once and shared. */
  public Predictor predictor(String signatureKey) {
    return version.predictor(signatureKey);
  }

  @Override
  public void close() {
    if (released.compareAndSet(false, true)) {
      version.release();
    }
  }
}
