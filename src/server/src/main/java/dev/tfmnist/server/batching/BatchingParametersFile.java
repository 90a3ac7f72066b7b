package dev.tfmnist.server.batching;

import dev.tfmnist.server.ConfigFileException;
import dev.tfmnist.server.TextProtoFile;
import dev.tfmnist.server.api.BatchingParameters;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Consumer;

/**
 * TensorFlow Serving's batching parameters file ({@code --batching_parameters_file}): a
 * BatchingParameters in protobuf text format, read into {@link BatchingOptions}.
 *
 * <pre>
 * max_batch_size { value: 16 }
 * batch_timeout_micros { value: 1000 }
 * max_enqueued_batches { value: 100 }
 * num_batch_threads { value: 4 }
 * </pre>
 *
 * Those four fields are the options' four; a field the file leaves out keeps {@link
 * BatchingOptions#DEFAULT}'s value (TF Serving's defaults are 1000 rows, no wait, a thread per
 * core and 10 batches): without {@code batch_timeout_micros} a batch never waits for company. TF Serving's other fields are accepted with a warning, as leaving them
 * out changes no answer: {@code thread_pool_name} (the threads are the server's own), {@code
 * allowed_batch_sizes} (batches are not padded; the list must still be increasing and end at
 * {@code max_batch_size}, as TF Serving requires), {@code pad_variable_length_inputs} (requests
 * of different shapes run in separate batches), {@code enable_large_batch_splitting} and {@code
 * max_execution_batch_size} (a request larger than {@code max_batch_size} runs as a batch of its
 * own).
 */
public final class BatchingParametersFile {
  private BatchingParametersFile() {}

  /**
   * Reads a batching parameters file.
   *
   * @param file the file
   * @param warnings gets one line per field that is accepted but changes nothing here, starting
   *     with the file and the line
   * @return the options the file asks for
   * @throws ConfigFileException one line naming the file, the line and what is wrong, if the file
   *     cannot be read or parsed or a value is out of range
   */
  public static BatchingOptions read(Path file, Consumer<String> warnings)
      throws ConfigFileException {
    return options(TextProtoFile.read(file, "batching parameters file",
        BatchingParameters.getDefaultInstance()), warnings);
  }

  /**
   * {@link #read} of a file's text.
   *
   * @param file the file, for the messages
   * @param text its text
   * @param warnings as for {@link #read}
   * @return the options
   * @throws ConfigFileException as {@link #read}
   */
  public static BatchingOptions parse(Path file, String text, Consumer<String> warnings)
      throws ConfigFileException {
    return options(TextProtoFile.parse(file, text, BatchingParameters.getDefaultInstance()),
        warnings);
  }

  private static BatchingOptions options(TextProtoFile<BatchingParameters> file,
      Consumer<String> warnings) throws ConfigFileException {
    BatchingParameters p = file.message();
    var options = BatchingOptions.builder();
    if (p.hasMaxBatchSize()) {
      long value = p.getMaxBatchSize().getValue();
      set(file, "max_batch_size", options, b -> b.maxBatchSize(toInt(value)));
    }
    if (p.hasBatchTimeoutMicros()) {
      long value = p.getBatchTimeoutMicros().getValue();
      set(file, "batch_timeout_micros", options,
          b -> b.batchTimeout(Duration.of(value, ChronoUnit.MICROS)));
    }
    if (p.hasMaxEnqueuedBatches()) {
      long value = p.getMaxEnqueuedBatches().getValue();
      set(file, "max_enqueued_batches", options, b -> b.maxEnqueuedBatches(toInt(value)));
    }
    if (p.hasNumBatchThreads()) {
      long value = p.getNumBatchThreads().getValue();
      set(file, "num_batch_threads", options, b -> b.threads(toInt(value)));
    }
    BatchingOptions built = options.build();
    if (p.hasThreadPoolName()) {
      warnings.accept(file.where("thread_pool_name")
          + ": ignored: the batch threads are this server's own");
    }
    if (p.getAllowedBatchSizesCount() > 0) {
      checkAllowedSizes(file, p.getAllowedBatchSizesList(), built.maxBatchSize());
      warnings.accept(file.where("allowed_batch_sizes")
          + ": ignored: batches are not padded here, they run at the size they have");
    }
    if (p.getPadVariableLengthInputs()) {
      warnings.accept(file.where("pad_variable_length_inputs")
          + ": ignored: requests of different shapes run in separate batches");
    }
    if (p.getEnableLargeBatchSplitting().getValue()) {
      warnings.accept(file.where("enable_large_batch_splitting")
          + ": ignored: a request larger than max_batch_size runs as a batch of its own");
    }
    if (p.hasMaxExecutionBatchSize()) {
      warnings.accept(file.where("max_execution_batch_size")
          + ": ignored: batches run at max_batch_size at most");
    }
    return built;
  }

  /** Applies one field, or fails naming it with the rule {@link BatchingOptions} states. */
  private static void set(TextProtoFile<BatchingParameters> file, String field,
      BatchingOptions.Builder options, Consumer<BatchingOptions.Builder> setting)
      throws ConfigFileException {
    try {
      var alone = BatchingOptions.builder();
      setting.accept(alone);
      alone.build();  // the options' own checks, this field's value among defaults
    } catch (IllegalArgumentException e) {
      throw file.error(e.getMessage(), field);
    }
    setting.accept(options);
  }

  private static int toInt(long value) {
    if (value > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("must be at most " + Integer.MAX_VALUE + ", got " + value);
    }
    return (int) Math.max(Integer.MIN_VALUE, value);
  }

  /** TF Serving's rule: increasing, the last one max_batch_size. */
  private static void checkAllowedSizes(TextProtoFile<BatchingParameters> file, List<Long> sizes,
      int maxBatchSize) throws ConfigFileException {
    for (int i = 0; i < sizes.size(); i++) {
      if (sizes.get(i) < 1 || (i > 0 && sizes.get(i) <= sizes.get(i - 1))) {
        throw file.error("must be positive and increasing, got " + sizes, "allowed_batch_sizes");
      }
    }
    if (sizes.get(sizes.size() - 1) != maxBatchSize) {
      throw file.error("the last entry must be max_batch_size, " + maxBatchSize + ", got "
          + sizes, "allowed_batch_sizes");
    }
  }
}
