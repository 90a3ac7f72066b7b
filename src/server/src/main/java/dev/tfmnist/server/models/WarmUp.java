package dev.tfmnist.server.models;

import dev.tfmnist.loader.LoadedModel;

/**
 * The one warm-up of a loaded version before it serves: every signature runs on zeros at each
 * batch size up to the largest the server forms, so that TensorFlow's first runs (graph
 * optimization, kernel selection, memory pools) happen before the first request, not during it.
 */
public final class WarmUp {
  private WarmUp() {}

  /**
   * Warms every signature of a model up.
   *
   * @param model a loaded model
   * @param maxRows the largest batch the server forms; 0 runs nothing
   * @return the runs made; a signature that refuses zeros (a graph may check its inputs' values)
   *     is skipped and warms up on its first requests
   */
  public static int run(LoadedModel model, int maxRows) {
    int runs = 0;
    if (maxRows <= 0) {
      return 0;
    }
    for (String key : model.signatures().keySet()) {
      try {
        runs += model.predictor(key).warmUp(maxRows);
      } catch (RuntimeException zerosRefused) {
        // it warms up on its first requests
      }
    }
    return runs;
  }
}
