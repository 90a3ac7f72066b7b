package dev.tfmnist.server.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.server.ConfigFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TF Serving's batching parameters files, as its users write them, read into options. */
class BatchingParametersFileTest {
  private static final Path FILE = Path.of("conf", "batching.config");

  private final List<String> warnings = new ArrayList<>();

  private BatchingOptions parse(String text) throws ConfigFileException {
    return BatchingParametersFile.parse(FILE, text, warnings::add);
  }

  private String error(String text) {
    return assertThrows(ConfigFileException.class, () -> parse(text)).getMessage();
  }

  @Test
  void theFourFieldsAreTheOptions(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("batching.config");
    Files.writeString(file, """
        max_batch_size { value: 16 }
        batch_timeout_micros { value: 1000 }
        max_enqueued_batches { value: 100 }
        num_batch_threads { value: 4 }
        """);
    assertEquals(new BatchingOptions(16, Duration.ofMillis(1), 4, 100, true),
        BatchingParametersFile.read(file, warnings::add));
    assertEquals(List.of(), warnings);
  }

  @Test
  void fieldsLeftOutKeepTheDefaults() throws Exception {
    assertEquals(BatchingOptions.DEFAULT, parse(""));
    assertEquals(BatchingOptions.builder().maxBatchSize(8).batchTimeout(Duration.ZERO).build(),
        parse("max_batch_size: { value: 8 }\nbatch_timeout_micros { value: 0 }"));
  }

  @Test
  void badValuesNameTheFileTheLineAndTheField() {
    assertEquals(FILE + ": line 2: max_batch_size: max batch size must be at least 1, got 0",
        error("batch_timeout_micros { value: 10 }\nmax_batch_size { value: 0 }\n"));
    assertEquals(FILE + ": line 1: num_batch_threads: must be at most 2147483647, got 3000000000",
        error("num_batch_threads { value: 3000000000 }"));
    assertEquals(FILE + ": line 3: max_enqueued_batches: max enqueued batches must be at least 1,"
        + " got -1", error("\n\nmax_enqueued_batches {\n value: -1 }"));
  }

  @Test
  void textThatIsNoBatchingParametersNamesTheLineAndColumn(@TempDir Path dir) {
    String unknown = error("max_batch_size { value: 8 }\nmax_batchsize { value: 8 }");
    assertTrue(unknown.startsWith(FILE + ": line 2, column 1: "), unknown);
    assertTrue(unknown.contains("max_batchsize"), unknown);
    assertEquals(1, unknown.lines().count(), unknown);
    String notANumber = error("max_batch_size { value: many }");
    assertTrue(notANumber.startsWith(FILE + ": line 1, column "), notANumber);
    Path missing = dir.resolve("none.config");
    assertEquals(missing + ": cannot read the batching parameters file: no such file",
        assertThrows(ConfigFileException.class,
            () -> BatchingParametersFile.read(missing, warnings::add)).getMessage());
  }

  @Test
  void fieldsThatChangeNoAnswerHereAreWarnedAbout() throws Exception {
    BatchingOptions options = parse("""
        max_batch_size { value: 16 }
        thread_pool_name { value: "model_server_batch_threads" }
        allowed_batch_sizes: 4
        allowed_batch_sizes: 16
        pad_variable_length_inputs: true
        enable_large_batch_splitting { value: true }
        max_execution_batch_size { value: 8 }
        """);
    assertEquals(16, options.maxBatchSize());
    assertEquals(List.of(
        FILE + ": line 2: thread_pool_name: ignored: the batch threads are this server's own",
        FILE + ": line 4: allowed_batch_sizes: ignored: batches are not padded here, they run at"
            + " the size they have",
        FILE + ": line 5: pad_variable_length_inputs: ignored: requests of different shapes run"
            + " in separate batches",
        FILE + ": line 6: enable_large_batch_splitting: ignored: a request larger than"
            + " max_batch_size runs as a batch of its own",
        FILE + ": line 7: max_execution_batch_size: ignored: batches run at max_batch_size at"
            + " most"), warnings);
    warnings.clear();
    parse("enable_large_batch_splitting { value: false }\npad_variable_length_inputs: false");
    assertEquals(List.of(), warnings, "false is what happens here");
  }

  @Test
  void allowedBatchSizesFollowTensorFlowServingsRule() {
    assertEquals(FILE + ": line 2: allowed_batch_sizes: the last entry must be max_batch_size, 16,"
        + " got [4, 8]", error("max_batch_size { value: 16 }\nallowed_batch_sizes: [4, 8]"));
    assertEquals(FILE + ": line 1: allowed_batch_sizes: must be positive and increasing, got"
        + " [8, 4, 32]", error("allowed_batch_sizes: [8, 4, 32]"));
  }
}
