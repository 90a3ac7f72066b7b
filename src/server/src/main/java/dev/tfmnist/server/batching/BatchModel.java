package dev.tfmnist.server.batching;

import dev.tfmnist.loader.InvalidInputException;
import dev.tfmnist.loader.Prediction;
import dev.tfmnist.loader.Predictor;
import dev.tfmnist.loader.TensorValue;
import java.util.List;
import java.util.Map;

/**
 * What {@link DynamicBatcher} needs of a model: a key that says which requests may share a
 * batch, an input check, whether stacking rows is allowed, and a run. {@link #of(Predictor)}
 * adapts the loader's predictor; tests give the batcher a fake.
 */
public interface BatchModel {
  /**
   * Requests are stacked into one run only when their models' keys are equal.
   *
   * @return a value with {@code equals} and {@code hashCode}
   */
  Object batchKey();

  /**
   * Checks a request's inputs before it joins a batch, so that one bad request cannot fail the
   * others.
   *
   * @param inputs the request's tensors by input key
   * @throws InvalidInputException if they do not fit the model
   */
  void validate(Map<String, TensorValue> inputs);

  /**
   * Whether rows of several requests may be stacked along dimension 0: every input and output
   * has a batch dimension.
   *
   * @return false to run each request alone
   */
  boolean batchable();

  /**
   * Runs the model once.
   *
   * @param inputs tensors by input key, possibly several requests stacked
   * @return the outputs, with as many rows as the inputs
   */
  Prediction run(Map<String, TensorValue> inputs);

  /**
   * The loader's predictor as a batch model: requests for the same model, signature and outputs
   * share batches.
   *
   * @param predictor a predictor of a loaded model
   * @return the adapter
   */
  static BatchModel of(Predictor predictor) {
    record Key(Object model, Object signature, List<String> outputs) {}
    var key = new Key(predictor.model(), predictor.signature(), predictor.outputKeys());
    return new BatchModel() {
      @Override
      public Object batchKey() {
        return key;
      }

      @Override
      public void validate(Map<String, TensorValue> inputs) {
        predictor.validate(inputs);
      }

      @Override
      public boolean batchable() {
        return predictor.signature().isBatchable();
      }

      @Override
      public Prediction run(Map<String, TensorValue> inputs) {
        return predictor.predict(inputs);
      }
    };
  }
}
