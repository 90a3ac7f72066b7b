package dev.tfmnist.spark;

import dev.tfmnist.loader.Classification;
import dev.tfmnist.loader.ImageClassifier;
import dev.tfmnist.loader.image.ImageFiles;
import dev.tfmnist.loader.image.MnistPreprocessor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that classifies image files with a SavedModel image classifier
 * (MNIST's, or any the loader's {@link ImageClassifier} recognizes). It reads the files' bytes
 * from a binary column (Spark's {@code binaryFile} source gives {@code path} and {@code
 * content}), turns each into a 28x28 digit as PredictMnist does (PNG, JPEG or PGM, any size,
 * either polarity), runs the model on batches of rows, and appends three columns: the class
 * ({@code digit}, null when the row failed), the class probabilities, and an {@code error} that
 * names the file and the problem when the row is not an image (the job goes on).
 *
 * <p>Each executor JVM loads the model once, on first use, and shares it between its tasks
 * ({@link ExecutorModels}); only the model's path travels with the tasks. The path must be
 * readable by every executor (a shared file system, or the same path on each machine). {@link
 * #transform} loads the model on the driver first, so a missing or broken model fails the job
 * before any task runs.
 *
 * <pre>{@code
 * var images = spark.read().format("binaryFile").load("images/");
 * var scored = new SavedModelImageClassifier().setModelPath("savedmodel/java").transform(images);
 * }</pre>
 */
public final class SavedModelImageClassifier extends Transformer {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> modelPath;
  private final Param<String> inputCol;
  private final Param<String> pathCol;
  private final Param<String> digitCol;
  private final Param<String> probabilitiesCol;
  private final Param<String> errorCol;
  private final IntParam batchSize;

  public SavedModelImageClassifier() {
    this(Identifiable$.MODULE$.randomUID("savedModelImageClassifier"));
  }

  public SavedModelImageClassifier(String uid) {
    this.uid = uid;
    modelPath = new Param<>(this, "modelPath",
        "SavedModel directory, or a base directory of numbered versions (the highest is used)");
    inputCol = new Param<>(this, "inputCol", "binary column of image file bytes");
    pathCol = new Param<>(this, "pathCol",
        "string column naming each file in errors; absent: errors name the row's position");
    digitCol = new Param<>(this, "digitCol", "output: the predicted class, null for a bad row");
    probabilitiesCol = new Param<>(this, "probabilitiesCol",
        "output: the class probabilities, null for a bad row");
    errorCol = new Param<>(this, "errorCol", "output: what was wrong with a row, else null");
    batchSize = new IntParam(this, "batchSize", "rows run through the model together",
        ParamValidators.gtEq(1));
    setDefault(inputCol, "content");
    setDefault(pathCol, "path");
    setDefault(digitCol, "digit");
    setDefault(probabilitiesCol, "probabilities");
    setDefault(errorCol, "error");
    setDefault(batchSize, 64);
  }

  @Override
  public String uid() {
    return uid;
  }

  // Spark finds a stage's params through public methods named after them (Params.params)

  public Param<String> modelPath() {
    return modelPath;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> pathCol() {
    return pathCol;
  }

  public Param<String> digitCol() {
    return digitCol;
  }

  public Param<String> probabilitiesCol() {
    return probabilitiesCol;
  }

  public Param<String> errorCol() {
    return errorCol;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public SavedModelImageClassifier setModelPath(String path) {
    set(modelPath, path);
    return this;
  }

  public SavedModelImageClassifier setInputCol(String column) {
    set(inputCol, column);
    return this;
  }

  public SavedModelImageClassifier setPathCol(String column) {
    set(pathCol, column);
    return this;
  }

  public SavedModelImageClassifier setDigitCol(String column) {
    set(digitCol, column);
    return this;
  }

  public SavedModelImageClassifier setProbabilitiesCol(String column) {
    set(probabilitiesCol, column);
    return this;
  }

  public SavedModelImageClassifier setErrorCol(String column) {
    set(errorCol, column);
    return this;
  }

  public SavedModelImageClassifier setBatchSize(int rows) {
    set(batchSize, rows);
    return this;
  }

  public String getModelPath() {
    return $(modelPath);
  }

  public int getBatchSize() {
    return (Integer) $(batchSize);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    if (!isDefined(modelPath)) {
      throw new IllegalArgumentException("the model path is not set (setModelPath)");
    }
    String input = $(inputCol);
    if (!java.util.Arrays.asList(schema.fieldNames()).contains(input)) {
      throw new IllegalArgumentException("no input column " + input + " in " + schema.simpleString());
    }
    if (!schema.apply(input).dataType().equals(DataTypes.BinaryType)) {
      throw new IllegalArgumentException("input column " + input + " is "
          + schema.apply(input).dataType().simpleString() + ", expected binary (file bytes)");
    }
    for (Param<String> out : List.of(digitCol, probabilitiesCol, errorCol)) {
      if (java.util.Arrays.asList(schema.fieldNames()).contains($(out))) {
        throw new IllegalArgumentException("output column " + $(out) + " exists already");
      }
    }
    return schema
        .add(new StructField($(digitCol), DataTypes.IntegerType, true,
            org.apache.spark.sql.types.Metadata.empty()))
        .add(new StructField($(probabilitiesCol), DataTypes.createArrayType(DataTypes.FloatType,
            false), true, org.apache.spark.sql.types.Metadata.empty()))
        .add(new StructField($(errorCol), DataTypes.StringType, true,
            org.apache.spark.sql.types.Metadata.empty()));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema());
    String model = $(modelPath);
    ExecutorModels.classifier(model);  // on the driver: a bad model fails here, before any task
    StructType in = dataset.schema();
    int content = in.fieldIndex($(inputCol));
    int path = java.util.Arrays.asList(in.fieldNames()).contains($(pathCol))
        && in.apply($(pathCol)).dataType().equals(DataTypes.StringType)
        ? in.fieldIndex($(pathCol)) : -1;
    return dataset.toDF().mapPartitions(
        new ScorePartition(model, content, path, (Integer) $(batchSize)), Encoders.row(out));
  }

  @Override
  public SavedModelImageClassifier copy(ParamMap extra) {
    return (SavedModelImageClassifier) defaultCopy(extra);
  }

  /** What a task runs: rows in, rows with three more columns out, a batch at a time. */
  private static final class ScorePartition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String model;
    private final int content;
    private final int path;
    private final int batchSize;

    ScorePartition(String model, int content, int path, int batchSize) {
      this.model = model;
      this.content = content;
      this.path = path;
      this.batchSize = batchSize;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      ImageClassifier classifier = ExecutorModels.classifier(model);
      return new Iterator<>() {
        private Iterator<Row> batch = List.<Row>of().iterator();
        private long position;

        @Override
        public boolean hasNext() {
          if (!batch.hasNext() && rows.hasNext()) {
            batch = score(classifier, rows).iterator();
          }
          return batch.hasNext();
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          return batch.next();
        }

        private List<Row> score(ImageClassifier classifier, Iterator<Row> rows) {
          var taken = new ArrayList<Row>(batchSize);
          var errors = new ArrayList<String>(batchSize);
          float[] pixels = new float[batchSize * classifier.pixels()];
          int good = 0;
          while (taken.size() < batchSize && rows.hasNext()) {
            Row row = rows.next();
            position++;
            String name = path >= 0 && !row.isNullAt(path) ? row.getString(path)
                : "row " + position;
            String error = null;
            try {
              if (row.isNullAt(content)) {
                throw new IOException(name + ": no file content");
              }
              float[] digit = MnistPreprocessor.toMnist(ImageFiles.decode(name,
                  (byte[]) row.get(content)));
              if (digit.length != classifier.pixels()) {
                throw new IOException(name + ": the model takes " + classifier.pixels()
                    + " pixels, MNIST images have " + digit.length);
              }
              System.arraycopy(digit, 0, pixels, good * digit.length, digit.length);
              good++;
            } catch (IOException | RuntimeException e) {
              error = e.getMessage() == null ? name + ": " + e : e.getMessage();
            }
            taken.add(row);
            errors.add(error);
          }
          List<Classification> results = good == 0 ? List.of()
              : classifier.classify(java.util.Arrays.copyOf(pixels, good * classifier.pixels()),
                  good);
          var scored = new ArrayList<Row>(taken.size());
          int next = 0;
          for (int i = 0; i < taken.size(); i++) {
            Row row = taken.get(i);
            Object[] values = new Object[row.length() + 3];
            for (int f = 0; f < row.length(); f++) {
              values[f] = row.get(f);
            }
            if (errors.get(i) == null) {
              Classification c = results.get(next++);
              values[row.length()] = c.predictedClass();
              values[row.length() + 1] = c.hasScores() ? boxed(c.probabilities()) : null;
            } else {
              values[row.length() + 2] = errors.get(i);
            }
            scored.add(RowFactory.create(values));
          }
          return scored;
        }
      };
    }

    /** A Spark array value: a Scala Seq, which is what a Row holds for ArrayType. */
    private static scala.collection.Seq<Float> boxed(float[] values) {
      var list = new ArrayList<Float>(values.length);
      for (float v : values) {
        list.add(v);
      }
      return scala.jdk.javaapi.CollectionConverters.asScala(list).toSeq();
    }
  }
}
