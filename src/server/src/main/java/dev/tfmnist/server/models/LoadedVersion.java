package dev.tfmnist.server.models;

import dev.tfmnist.loader.LoadedModel;
import dev.tfmnist.loader.Predictor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One loaded version of a model, shared by the requests that use it. Requests hold it through a
 * {@link Servable}; once retired it takes no new requests and closes its model when the last one
 * lets go, so a version leaving the policy never fails a request already running on it.
 */
final class LoadedVersion {
  private final String name;
  private final long version;
  private final LoadedModel model;
  private final boolean owned;
  private final Map<String, Predictor> predictors = new ConcurrentHashMap<>();
  private int users;  // guarded by this
  private boolean retired;  // guarded by this
  private Runnable onClosed = () -> {};  // guarded by this

  LoadedVersion(String name, long version, LoadedModel model, boolean owned) {
    this.name = name;
    this.version = version;
    this.model = model;
    this.owned = owned;
  }

  String name() {
    return name;
  }

  long version() {
    return version;
  }

  LoadedModel model() {
    return model;
  }

  Predictor predictor(String signatureKey) {
    Predictor cached = predictors.get(signatureKey);
    if (cached != null) {
      return cached;
    }
    Predictor predictor = model.predictor(signatureKey);  // throws SignatureNotFoundException
    Predictor raced = predictors.putIfAbsent(signatureKey, predictor);
    return raced != null ? raced : predictor;
  }

  /** Takes a use of this version; false once it is retired. */
  synchronized boolean acquire() {
    if (retired) {
      return false;
    }
    users++;
    return true;
  }

  void release() {
    boolean close;
    synchronized (this) {
      users--;
      close = retired && users == 0;
    }
    if (close) {
      closeModel();
    }
  }

  /**
   * Takes no new uses; the model closes (when owned) as soon as no request uses it, then {@code
   * onClosed} runs in the thread that closed it.
   */
  void retire(Runnable onClosed) {
    boolean close;
    synchronized (this) {
      if (retired) {
        return;
      }
      retired = true;
      this.onClosed = onClosed;
      close = users == 0;
    }
    if (close) {
      closeModel();
    }
  }

  synchronized int users() {
    return users;
  }

  private void closeModel() {
    Runnable then;
    synchronized (this) {
      then = onClosed;
    }
    try {
      if (owned) {
        model.close();
      }
    } finally {
      then.run();
    }
  }
}
