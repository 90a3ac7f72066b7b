package dev.tfmnist.training;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of TensorBoard's hparams plugin summaries, {@code HParamsPluginData} of
 * {@code tensorboard/plugins/hparams/plugin_data.proto} (and {@code Experiment} of
 * {@code api.proto}), encoded field by field: TensorFlow Java has no classes for TensorBoard's
 * protos. Only the fields TrainMnist fills are written; field numbers are the protos'.
 */
final class HParamsData {
  /** api.proto's Status. */
  enum Status { UNKNOWN, SUCCESS, FAILURE, RUNNING }

  private static final int DATA_TYPE_STRING = 1;
  private static final int DATA_TYPE_FLOAT64 = 3;
  private static final int DATASET_TRAINING = 1;
  private static final int DATASET_VALIDATION = 2;

  private HParamsData() {}

  /** The run's hyperparameters by name: Strings and Numbers, in display order. */
  static Map<String, Object> of(TrainingConfig config) {
    var hparams = new LinkedHashMap<String, Object>();
    hparams.put("batch_size", config.batchSize());
    hparams.put("learning_rate", (double) config.learningRate());
    hparams.put("keep_prob", (double) config.keepProb());
    hparams.put("seed", config.seed());
    hparams.put("pooling", config.architecture().pooling().name().toLowerCase(java.util.Locale.ROOT));
    hparams.put("padding", config.architecture().padding().name().toLowerCase(java.util.Locale.ROOT));
    hparams.put("loss", config.loss().name().toLowerCase(java.util.Locale.ROOT));
    hparams.put("precision", config.precision().label());
    hparams.put("steps", config.steps());
    return hparams;
  }

  /** HParamsPluginData{experiment}: the hparams' names and types, and the metrics' tags. */
  static byte[] experiment(Map<String, Object> hparams, double createdSecs) {
    byte[] experiment = message(out -> {
      out.writeDouble(3, createdSecs);
      for (var entry : hparams.entrySet()) {
        out.writeByteArray(4, message(info -> {
          info.writeString(1, entry.getKey());
          info.writeEnum(4, entry.getValue() instanceof Number ? DATA_TYPE_FLOAT64 : DATA_TYPE_STRING);
        }));
      }
      out.writeByteArray(5, metric("test/accuracy", DATASET_VALIDATION));
      out.writeByteArray(5, metric("test/loss", DATASET_VALIDATION));
      out.writeByteArray(5, metric("train/loss", DATASET_TRAINING));
    });
    return message(out -> out.writeByteArray(2, experiment));
  }

  /** HParamsPluginData{session_start_info}: this run's values. */
  static byte[] sessionStart(Map<String, Object> hparams, double startSecs) {
    byte[] start = message(out -> {
      for (var entry : hparams.entrySet()) {
        out.writeByteArray(1, message(mapEntry -> {
          mapEntry.writeString(1, entry.getKey());
          mapEntry.writeByteArray(2, message(value -> {
            if (entry.getValue() instanceof Number number) {
              value.writeDouble(2, number.doubleValue());  // google.protobuf.Value.number_value
            } else {
              value.writeString(3, entry.getValue().toString());  // string_value
            }
          }));
        }));
      }
      out.writeDouble(5, startSecs);
    });
    return message(out -> out.writeByteArray(3, start));
  }

  /** HParamsPluginData{session_end_info}. */
  static byte[] sessionEnd(Status status, double endSecs) {
    byte[] end = message(out -> {
      out.writeEnum(1, status.ordinal());
      out.writeDouble(2, endSecs);
    });
    return message(out -> out.writeByteArray(4, end));
  }

  private static byte[] metric(String tag, int datasetType) {
    return message(out -> {
      out.writeByteArray(1, message(name -> name.writeString(2, tag)));
      out.writeEnum(5, datasetType);
    });
  }

  private interface Fields {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Fields fields) {
    try {
      var bytes = new ByteArrayOutputStream();
      var out = CodedOutputStream.newInstance(bytes);
      fields.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
