package dev.tfmnist.loader;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.TensorFlow;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFUnimplementedException;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;

/**
 * A SavedModel loaded into one TensorFlow session: loaded once, shared by any number of threads
 * and {@link Predictor}s, closed once.
 *
 * <p>It owns the native bundle (graph and session). Runs take a read lock and {@link #close()}
 * the write lock, so closing waits for running predictions and a prediction after the close fails
 * cleanly instead of touching freed memory. TensorFlow's session runs concurrent calls in
 * parallel; each call gets a runner of its own.
 *
 * <p>The caller that loads a model owns it and closes it, typically with try-with-resources;
 * predictors and image classifiers made from it own nothing and stop working when it is closed.
 * TensorFlow's native library comes from the application's classpath (tensorflow-core-platform,
 * or the CUDA build of tensorflow-core-native for GPUs).
 *
 * <pre>{@code
 * try (LoadedModel model = LoadedModel.load(Path.of("savedmodel/java"))) {
 *   Prediction p = model.predictor().predict(TensorValue.ofFloats(Shape.of(1, 784), pixels));
 * }
 * }</pre>
 */
public final class LoadedModel implements AutoCloseable {
  /** How TensorFlow says a graph uses an op it does not know. */
  private static final Pattern UNREGISTERED_OP = Pattern.compile("Op type not registered '([^']+)'");
  /** TF2 marks its init function as a signature; it is no function callers can run. */
  private static final String INIT_OP_SIGNATURE = "__saved_model_init_op";
  /** Ops that hold variables: TF1's reference variables and TF2's resource variables. */
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "Variable", "VarHandleOp");

  private final ModelLocation location;
  private final Set<String> tags;
  private final SavedModelBundle bundle;
  private final Map<String, SignatureInfo> signatures;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private LoadedModel(ModelLocation location, Set<String> tags, SavedModelBundle bundle) {
    this.location = location;
    this.tags = tags;
    this.bundle = bundle;
    var byKey = new TreeMap<String, SignatureInfo>();
    bundle.metaGraphDef().getSignatureDefMap().forEach((key, def) -> {
      if (!key.equals(INIT_OP_SIGNATURE)) {
        byKey.put(key, SignatureInfo.of(key, def));
      }
    });
    this.signatures = Collections.unmodifiableMap(byKey);
  }

  /**
   * Loads the SavedModel in {@code dir}, or the highest version of a base directory, with the
   * {@code serve} tag and TensorFlow's default session options; {@link #loader(Path)} chooses
   * others. Variables the signatures read that TensorFlow's own loader leaves uninitialized are
   * restored from the checkpoint as well.
   *
   * @param dir a SavedModel directory (holding saved_model.pb or saved_model.pbtxt), or a base
   *     directory of integer-named version directories as TensorFlow Serving reads them
   * @return the loaded model, which the caller must close
   * @throws ModelLoadException if the directory is missing or is no SavedModel, lacks the
   *     MetaGraph, version or variables asked for, or TensorFlow cannot load or restore it; the
   *     message starts with the path
   * @throws UnregisteredOpException (a {@link ModelLoadException}) if the graph uses an op this
   *     TensorFlow does not have; see {@link LoadedModel#loadLibrary}
   * @throws NullPointerException if {@code dir} is null
   */
  public static LoadedModel load(Path dir) throws ModelLoadException {
    return loader(dir).load();
  }

  /**
   * Options for loading {@code dir}: tags, a version, the session's configuration. Nothing is read
   * until {@link ModelLoader#load()}.
   *
   * @param dir a SavedModel directory or a base directory of versions, as for {@link #load(Path)}
   * @return a new loader with the defaults: tag {@code serve}, the highest version, TensorFlow's
   *     session options
   * @throws NullPointerException if {@code dir} is null
   */
  public static ModelLoader loader(Path dir) {
    return new ModelLoader(dir);
  }

  static LoadedModel load(ModelLoader options) throws ModelLoadException {
    ModelLocation location = ModelLocation.resolve(options.path(), options.version());
    Path dir = location.directory();
    checkSavedModel(dir, options.tags());
    var loader = SavedModelBundle.loader(dir.toString())
        .withTags(options.tags().toArray(String[]::new));
    if (options.sessionConfig() != null) {
      loader.withConfigProto(options.sessionConfig());
    }
    SavedModelBundle bundle;
    try {
      bundle = loader.load();
    } catch (TensorFlowException | TFInvalidArgumentException | TFUnimplementedException e) {
      Matcher unregistered = UNREGISTERED_OP.matcher(String.valueOf(e.getMessage()));
      if (unregistered.find()) {
        throw new UnregisteredOpException(dir, unregistered.group(1), e);
      }
      throw new ModelLoadException(dir, "cannot load the SavedModel: " + firstLine(e.getMessage()), e);
    }
    try {
      ObjectGraphVariables.restoreMissing(bundle, dir);
    } catch (TensorFlowException | IllegalStateException e) {
      bundle.close();
      throw new ModelLoadException(dir, "cannot restore the variables its signatures read: "
          + firstLine(e.getMessage()), e);
    }
    try {
      return new LoadedModel(location, options.tags(), bundle);
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /**
   * Loads a library of custom ops and kernels (a {@code .so} such as tensorflow-text's) into this
   * process, so that models using its ops load; do it before loading them. The ops are registered
   * process-wide, for every model loaded afterwards.
   *
   * @param library the shared library file
   * @return the ops it registered, by name
   * @throws java.nio.file.NoSuchFileException if {@code library} is not a regular file
   * @throws IOException if TensorFlow cannot load it as an op library
   */
  public static List<String> loadLibrary(Path library) throws IOException {
    if (!Files.isRegularFile(library)) {
      throw new NoSuchFileException(library.toString(), null, "no such op library");
    }
    try {
      return TensorFlow.loadLibrary(library.toAbsolutePath().toString()).getOpList().stream()
          .map(org.tensorflow.proto.OpDef::getName).toList();
    } catch (UnsatisfiedLinkError | TensorFlowException e) {
      throw new IOException(library + ": cannot load it as an op library: "
          + firstLine(e.getMessage()), e);
    }
  }

  /**
   * Reads saved_model.pb before TensorFlow does, so that a file that is no SavedModel, one without
   * the requested tags, or one whose variables are missing gets a message saying so. TensorFlow
   * itself loads a model without variables.index and leaves its variables uninitialized, which
   * would only show at the first prediction.
   */
  private static void checkSavedModel(Path dir, Set<String> tags) throws ModelLoadException {
    Path pb = dir.resolve(ModelLocation.SAVED_MODEL_PB);
    if (!Files.isRegularFile(pb)) {
      return;  // saved_model.pbtxt: TensorFlow parses the text format itself
    }
    SavedModel savedModel;
    try (InputStream in = Files.newInputStream(pb)) {
      savedModel = SavedModel.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelLoadException(pb, "not a SavedModel protocol buffer ("
          + firstLine(e.getMessage()) + ")", e);
    } catch (IOException e) {
      throw new ModelLoadException(pb, "cannot read: " + e.getMessage(), e);
    }
    if (savedModel.getMetaGraphsCount() == 0) {
      throw new ModelLoadException(pb, "not a SavedModel: it holds no MetaGraph");
    }
    var tagSets = new ArrayList<Set<String>>();
    for (MetaGraphDef metaGraph : savedModel.getMetaGraphsList()) {
      var set = new HashSet<>(metaGraph.getMetaInfoDef().getTagsList());
      if (set.equals(tags)) {
        checkVariables(dir, metaGraph);
        return;
      }
      tagSets.add(set);
    }
    throw new ModelLoadException(dir, "has no MetaGraph tagged " + tags + "; its tag sets are "
        + tagSets);
  }

  private static void checkVariables(Path dir, MetaGraphDef metaGraph) throws ModelLoadException {
    boolean hasVariables = metaGraph.getGraphDef().getNodeList().stream()
        .anyMatch(node -> VARIABLE_OPS.contains(node.getOp()));
    Path index = dir.resolve("variables").resolve("variables.index");
    if (hasVariables && !Files.isRegularFile(index)) {
      throw new ModelLoadException(dir, "the graph has variables but " + dir.relativize(index)
          + " is missing");
    }
  }

  /**
   * The SavedModel directory that was loaded (a version directory for a base directory).
   *
   * @return the directory, as given or resolved from the path given
   */
  public Path directory() {
    return location.directory();
  }

  /**
   * The version number: the directory's name when it is an integer, as TF Serving reads it.
   *
   * @return the version, empty when the directory's name is not an integer
   */
  public OptionalLong version() {
    return location.version();
  }

  /**
   * The tags of the MetaGraph that was loaded.
   *
   * @return the tag set, unmodifiable
   */
  public Set<String> tags() {
    return tags;
  }

  /**
   * The callable signatures by key, sorted; TF2's init marker is left out.
   *
   * @return the signatures, unmodifiable
   */
  public Map<String, SignatureInfo> signatures() {
    return signatures;
  }

  /**
   * One signature by key.
   *
   * @param key the signature key, e.g. {@link SignatureInfo#DEFAULT_KEY}
   * @return the signature
   * @throws SignatureNotFoundException if the model has no such signature; the message lists those
   *     it has
   */
  public SignatureInfo signature(String key) {
    SignatureInfo signature = signatures.get(key);
    if (signature == null) {
      throw new SignatureNotFoundException(key, signatures.keySet());
    }
    return signature;
  }

  /**
   * The MetaGraphDef as loaded, for everything this class does not expose. It is a protocol buffer
   * in Java memory, readable after {@link #close()}.
   *
   * @return the MetaGraphDef
   */
  public MetaGraphDef metaGraphDef() {
    return bundle.metaGraphDef();
  }

  /**
   * A predictor for {@code serving_default}, fetching all its outputs.
   *
   * @return the predictor
   * @throws SignatureNotFoundException if the model has no {@code serving_default} signature
   */
  public Predictor predictor() {
    return predictor(SignatureInfo.DEFAULT_KEY);
  }

  /**
   * A predictor for signature {@code key}, fetching all its outputs; cheap, make as many as you
   * like.
   *
   * @param key the signature key
   * @return the predictor
   * @throws SignatureNotFoundException if the model has no such signature
   */
  public Predictor predictor(String key) {
    SignatureInfo signature = signature(key);
    return new Predictor(this, signature, List.copyOf(signature.outputs().keySet()));
  }

  /**
   * A predictor for a signature of the caller's making over this model's tensors: the outputs of
   * several signatures fetched in one run on one input, say. Its tensor names must be the
   * graph's; nothing checks them here, and a name the graph lacks fails every run of the predictor.
   *
   * @param signature the signature to run, fetching all its outputs
   * @return the predictor
   * @throws NullPointerException if {@code signature} is null
   */
  public Predictor predictor(SignatureInfo signature) {
    return new Predictor(this, signature, List.copyOf(signature.outputs().keySet()));
  }

  /**
   * The signatures as the table README shows: one line per input and output ({@link
   * SignatureTable}).
   *
   * @return the table, each line ending with a line break
   */
  public String signatureTable() {
    return SignatureTable.format(signatures.values());
  }

  /**
   * Runs {@code signature} on already validated tensors, fetching {@code outputKeys} in that order.
   * The caller closes the result.
   */
  Result run(SignatureInfo signature, Map<String, ? extends Tensor> inputs, List<String> outputKeys) {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("model " + location.directory() + " is closed");
      }
      Session.Runner runner = bundle.session().runner();
      inputs.forEach((key, tensor) -> runner.feed(signature.inputs().get(key).tensorName(), tensor));
      for (String key : outputKeys) {
        runner.fetch(signature.outputs().get(key).tensorName());
      }
      return runner.run();
    } catch (TFInvalidArgumentException e) {
      throw new PredictionException("signature " + signature.key() + " rejected the input: "
          + firstLine(e.getMessage()), true, e);
    } catch (TensorFlowException | TFUnimplementedException e) {
      throw new PredictionException("signature " + signature.key() + " failed: "
          + firstLine(e.getMessage()), false, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Whether {@link #close()} has been called.
   *
   * @return true once the model is closed
   */
  public boolean isClosed() {
    lock.readLock().lock();
    try {
      return closed;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Waits for running predictions, then frees the session and graph; later calls do nothing.
   * Predictions started afterwards, through any predictor of this model, throw {@link
   * IllegalStateException}. Tensors of results already returned by {@link Predictor#run} stay the
   * caller's to close.
   */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      bundle.close();
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "LoadedModel[" + location.directory() + ", signatures " + signatures.keySet() + "]";
  }

  /** TensorFlow's messages run to several lines of op context; the first says what happened. */
  static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "unknown error";
    }
    for (String line : message.split("\\R")) {
      if (!line.isBlank()) {
        return line.strip();
      }
    }
    return message.strip();
  }
}
