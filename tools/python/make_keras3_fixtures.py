#!/usr/bin/env python3
"""Makes and checks four small Keras 3 SavedModels, exported the ways Python users export today.

  make_keras3_fixtures.py make [NAME ...]    trains and exports the named fixtures (default: all
                                             four) under savedmodel/NAME/1, with manifest.json and
                                             first100_outputs.json beside the version directory
  make_keras3_fixtures.py check [NAME ...]   reloads them and compares with their manifests

The fixtures (each a dense 784-128-10 net, ReLU and softmax, trained on the 55,000 TF1 training
images: keras.utils.set_random_seed(1), Adam, sparse categorical cross-entropy, 3 epochs of
batch 32):

  keras-export         keras_model.export(dir) (Keras 3's export) of a model that starts with a
                       Flatten: serving_default (also `serve`) images float32 [-1, 28, 28] ->
                       output_0 float32 [-1, 10] (the softmax probabilities)
  keras-module         tf.saved_model.save of a tf.Module holding the Keras model as an attribute,
                       two explicit signatures: serving_default image_bytes string [-1] (PNGs,
                       decoded with tf.io.decode_png in a tf.map_fn, scaled to [0, 1]) ->
                       probabilities float32 [-1, 10], classes int64 [-1]; pixels x float32
                       [-1, 784] -> probabilities. Made so on purpose: each Keras 3 variable is
                       saved twice in the graph, and session-based loaders (TensorFlow's C++
                       LoadSavedModel, TensorFlow Java's SavedModelBundle) do not restore the copy
                       the signatures read ("Could not find variable ..."). Do not work around it.
  keras-uint8          keras.export.ExportArchive endpoint serving_default: images uint8
                       [-1, 28, 28] -> probabilities float32 [-1, 10]; the model's own Rescaling
                       layer scales to [0, 1] in the graph
  keras-two-signatures keras.export.ExportArchive, two endpoints: serving_default x float32
                       [-1, 784] -> probabilities float32 [-1, 10]; classify x float32 [-1, 784] ->
                       classes int64 [-1]

Nothing is overwritten: `make` refuses (before training anything) when a fixture's version
directory exists. The SavedModel is written to a temporary directory, loaded with
tf.saved_model.load and checked (signatures, size under 2 MB, test accuracy at least 0.95) before
it is renamed into place; then first100_outputs.json and last manifest.json are written (each to a
temporary name, then renamed). The outputs file holds only outputs, never the images.

Usage: make_keras3_fixtures.py {make,check} [NAME ...] [--data-dir DIR] [--base DIR]
"""

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time

import numpy as np

import bench_report
import make_fixtures
import mnist_idx
import train_tf1

tf = tfsetup.tf

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BASE = os.path.join(REPO, "savedmodel")
VERSION = "1"

SEED = 1
EPOCHS = 3
BATCH_SIZE = 32
HIDDEN_UNITS = 128
MAX_MODEL_BYTES = 2_000_000
MIN_TEST_ACCURACY = 0.95
FIRST_N = 100
CHUNK = 1000
# As make_fixtures.CROSS_CPU: what another CPU model may read differently from these fixtures.
CROSS_CPU = {"probability_atol": 1e-4, "test_correct_delta": 3}
# Two signatures of one fixture that compute the same probabilities from the same images (the PNG
# path divides by 255.0, the float input is pixel * float32(1/255)) agree at least this well.
SAME_MODEL_ATOL = 1e-5

# Every signature as it must come out: {name: {"inputs": {key: (dtype, shape)}, "outputs": ...}}
_PROBABILITIES = ("float32", [-1, 10])
_CLASSES = ("int64", [-1])
_FLAT = {"x": ("float32", [-1, 784])}

FIXTURES = {
    "keras-export": {
        "made_with": "keras_model.export(dir): Keras 3's export (ExportArchive), endpoint 'serve', "
                     "also signature serving_default; the model starts with a Flatten",
        "model_input": ("float32", (28, 28)),
        "signatures": {
            "serving_default": {"inputs": {"images": ("float32", [-1, 28, 28])},
                                "outputs": {"output_0": _PROBABILITIES}},
            "serve": {"inputs": {"images": ("float32", [-1, 28, 28])},
                      "outputs": {"output_0": _PROBABILITIES}},
        },
    },
    "keras-module": {
        "made_with": "tf.saved_model.save(module, dir, signatures={'serving_default': ..., "
                     "'pixels': ...}) of a tf.Module holding the Keras 3 model as an attribute; "
                     "serving_default decodes PNGs with tf.io.decode_png(channels=1) in a "
                     "tf.map_fn and divides by 255.0. Each Keras 3 variable is in the graph "
                     "twice: session-based loaders (C++ LoadSavedModel, TensorFlow Java's "
                     "SavedModelBundle) do not restore the copy the signatures read",
        "model_input": ("float32", (784,)),
        "signatures": {
            "serving_default": {"inputs": {"image_bytes": ("string", [-1])},
                                "outputs": {"probabilities": _PROBABILITIES,
                                            "classes": _CLASSES}},
            "pixels": {"inputs": _FLAT, "outputs": {"probabilities": _PROBABILITIES}},
        },
    },
    "keras-uint8": {
        "made_with": "keras.export.ExportArchive: track(model), add_endpoint('serving_default', "
                     "images -> {'probabilities': model(images)}, uint8 input signature), "
                     "write_out(dir); the model's Rescaling(1/255) layer scales to [0, 1]",
        "model_input": ("uint8", (28, 28)),
        "signatures": {
            "serving_default": {"inputs": {"images": ("uint8", [-1, 28, 28])},
                                "outputs": {"probabilities": _PROBABILITIES}},
        },
    },
    "keras-two-signatures": {
        "made_with": "keras.export.ExportArchive: track(model), add_endpoint('serving_default', "
                     "x -> {'probabilities'}), add_endpoint('classify', x -> {'classes': argmax}), "
                     "write_out(dir)",
        "model_input": ("float32", (784,)),
        "signatures": {
            "serving_default": {"inputs": _FLAT, "outputs": {"probabilities": _PROBABILITIES}},
            "classify": {"inputs": _FLAT, "outputs": {"classes": _CLASSES}},
        },
    },
}

INPUT_FORMS = {
    "string": "PNG bytes: tf.io.encode_png of each test image as uint8 [28, 28, 1]",
    "uint8": "the test images' uint8 pixels",
    "float32": "the test images' pixels as float32 in [0, 1]: pixel * float32(1/255)",
}


class FixtureError(Exception):
    """A problem that ends the script with one line on stderr."""


def keras_module():
    import keras  # Keras 3, TensorFlow backend
    return keras


# ---------------------------------------------------------------------------------------------
# data


class Mnist:
    """uint8 images [n, 28, 28] and int64 digits: train = training images 5,000.. (TF1's split)."""

    def __init__(self, data_dir, train=True):
        if not os.path.isdir(data_dir):
            raise FixtureError("%s: MNIST directory not found (use --data-dir or MNIST_DIR)"
                               % data_dir)
        if train:
            images, labels = mnist_idx.read_pair(
                mnist_idx.locate(data_dir, mnist_idx.TRAIN_IMAGES),
                mnist_idx.locate(data_dir, mnist_idx.TRAIN_LABELS))
            self.train_images = images[mnist_idx.VALIDATION_SIZE:].reshape(-1, 28, 28)
            self.train_digits = labels[mnist_idx.VALIDATION_SIZE:].astype(np.int64)
        images, labels = mnist_idx.read_pair(mnist_idx.locate(data_dir, mnist_idx.TEST_IMAGES),
                                             mnist_idx.locate(data_dir, mnist_idx.TEST_LABELS))
        self.test_images = images.reshape(-1, 28, 28)
        self.test_digits = labels.astype(np.int64)


def model_inputs(images, dtype, shape):
    """uint8 images [n, 28, 28] as a model or signature input of that dtype and item shape."""
    if dtype == "uint8":
        return np.ascontiguousarray(images.reshape((-1,) + tuple(shape)))
    if dtype == "float32":
        return mnist_idx.to_float(images.reshape(-1, 784)).reshape((-1,) + tuple(shape))
    if dtype == "string":
        return encode_png(images)
    raise FixtureError("no input form for dtype %s" % dtype)


@tf.function(input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8)])
def _encode_png(images):
    return tf.map_fn(tf.io.encode_png, images[..., tf.newaxis],
                     fn_output_signature=tf.TensorSpec([], tf.string))


def encode_png(images):
    """uint8 [n, 28, 28] -> numpy object array of n PNG byte strings (tf.io.encode_png)."""
    return _encode_png(tf.constant(images, tf.uint8)).numpy()


# ---------------------------------------------------------------------------------------------
# models and exports


def build_model(keras, name):
    """784-128-10, ReLU then softmax, on the fixture's own input form."""
    layers = keras.layers
    dtype, shape = FIXTURES[name]["model_input"]
    inputs = keras.Input(shape=shape, dtype=dtype, name="x" if shape == (784,) else "images")
    x = inputs
    if dtype == "uint8":
        x = layers.Rescaling(1.0 / 255, name="scale")(x)
    if shape != (784,):
        x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(HIDDEN_UNITS, activation="relu", name="hidden")(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name.replace("-", "_"))


class MnistModule(tf.Module):
    """keras-module: the Keras model as an attribute, two tf.function signatures."""

    def __init__(self, model):
        super().__init__(name="mnist")
        self.model = model

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")])
    def serve_png(self, image_bytes):
        def decode(png):
            return tf.ensure_shape(tf.io.decode_png(png, channels=1), [28, 28, 1])

        images = tf.map_fn(decode, image_bytes,
                           fn_output_signature=tf.TensorSpec([28, 28, 1], tf.uint8))
        x = tf.reshape(tf.cast(images, tf.float32) / 255.0, [-1, 784])
        probabilities = self.model(x)
        return {"probabilities": probabilities,
                "classes": tf.argmax(probabilities, axis=1, output_type=tf.int64)}

    @tf.function(input_signature=[tf.TensorSpec([None, 784], tf.float32, name="x")])
    def pixels(self, x):
        return {"probabilities": self.model(x)}


def export(keras, name, model, model_dir):
    """Writes the SavedModel of fixture `name` to model_dir, the way its description says."""
    if name == "keras-export":
        model.export(model_dir)
    elif name == "keras-module":
        module = MnistModule(model)
        tf.saved_model.save(module, model_dir, signatures={"serving_default": module.serve_png,
                                                           "pixels": module.pixels})
    elif name == "keras-uint8":
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint(
            name="serving_default", fn=lambda images: {"probabilities": model(images)},
            input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8, name="images")])
        archive.write_out(model_dir)
    elif name == "keras-two-signatures":
        archive = keras.export.ExportArchive()
        archive.track(model)
        spec = [tf.TensorSpec([None, 784], tf.float32, name="x")]
        archive.add_endpoint(name="serving_default",
                             fn=lambda x: {"probabilities": model(x)}, input_signature=spec)
        archive.add_endpoint(
            name="classify", input_signature=spec,
            fn=lambda x: {"classes": tf.argmax(model(x), axis=1, output_type=tf.int64)})
        archive.write_out(model_dir)
    else:
        raise FixtureError("unknown fixture %s" % name)
    assets = os.path.join(model_dir, "assets")
    if os.path.isdir(assets) and not os.listdir(assets):
        os.rmdir(assets)  # empty (no assets); git would not keep it anyway


def train(keras, name, mnist, out=sys.stdout):
    """A fresh, seeded model of fixture `name`, fitted; returns (model, printed lines)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    model = build_model(keras, name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    dtype, shape = FIXTURES[name]["model_input"]
    x = model_inputs(mnist.train_images, dtype, shape)
    lines = []
    start = time.monotonic()

    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            line = "epoch %d/%d  loss %.4f  training accuracy %.4f  %.1f s" % (
                epoch + 1, EPOCHS, logs.get("loss", float("nan")),
                logs.get("accuracy", float("nan")), time.monotonic() - start)
            lines.append(line)
            print("%s: %s" % (name, line), file=out, flush=True)

    model.fit(x, mnist.train_digits, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True,
              verbose=0, callbacks=[Report()])
    return model, lines


# ---------------------------------------------------------------------------------------------
# a loaded SavedModel


def spec_dict(spec):
    return {"dtype": spec.dtype.name,
            "shape": [-1 if d is None else d for d in spec.shape.as_list()]}


def signature_specs(loaded):
    """{name: {"inputs": {key: {dtype, shape}}, "outputs": {...}}} of a tf.saved_model.load."""
    specs = {}
    for name, function in sorted(loaded.signatures.items()):
        inputs = function.structured_input_signature[1]
        specs[name] = {
            "inputs": {k: spec_dict(v) for k, v in sorted(inputs.items())},
            "outputs": {k: spec_dict(v) for k, v in sorted(function.structured_outputs.items())},
        }
    return specs


def expected_specs(name):
    return {sig: {part: {k: {"dtype": d, "shape": s} for k, (d, s) in sorted(keys.items())}
                  for part, keys in sorted(value.items())}
            for sig, value in sorted(FIXTURES[name]["signatures"].items())}


def run_signature(loaded, signature, images, chunk=CHUNK):
    """Feeds uint8 images [n, 28, 28] in the signature's input form; {output key: numpy array}."""
    function = loaded.signatures[signature]
    (key, spec), = function.structured_input_signature[1].items()
    parts = {}
    for start in range(0, len(images), chunk):
        batch = model_inputs(images[start:start + chunk], spec.dtype.name,
                             spec.shape.as_list()[1:])
        for out_key, value in function(**{key: tf.constant(batch, spec.dtype)}).items():
            parts.setdefault(out_key, []).append(value.numpy())
    return {k: np.concatenate(v) for k, v in parts.items()}


def probabilities_key(specs, signature="serving_default"):
    keys = [k for k, v in specs[signature]["outputs"].items()
            if v == {"dtype": "float32", "shape": [-1, 10]}]
    if len(keys) != 1:
        raise FixtureError("signature %s: expected one float32 [-1, 10] output, found %s"
                           % (signature, keys))
    return keys[0]


def session_loader_restores(model_dir, specs):
    """Whether a session-based loader (C++ LoadSavedModel, what TensorFlow Java's
    SavedModelBundle and TF Serving use) can run serving_default: (True, None) or (False, the
    error's first line). Feeds the first 2 zero images in the signature's input form; specs are
    signature_specs() of the same model."""
    (_, spec), = specs["serving_default"]["inputs"].items()
    feed = model_inputs(np.zeros((2, 28, 28), np.uint8), spec["dtype"], spec["shape"][1:])
    tf1 = tf.compat.v1
    try:
        with tf.Graph().as_default(), tf1.Session() as session:
            meta = tf1.saved_model.loader.load(session, ["serve"], model_dir)
            signature = meta.signature_def["serving_default"]
            (_, tensor), = signature.inputs.items()
            session.run([t.name for t in signature.outputs.values()], {tensor.name: feed})
    except tf.errors.OpError as e:
        lines = [line.strip() for line in e.message.splitlines()
                 if line.strip() and line.strip() != "Graph execution error:"]
        return False, (lines[0] if lines else type(e).__name__).split(". ")[0]
    return True, None


def checkpoint_variables(model_dir):
    """[[name, shape]] of the SavedModel's checkpoint (without the object graph)."""
    prefix = os.path.join(model_dir, "variables", "variables")
    return [[name, list(shape)] for name, shape in tf.train.list_variables(prefix)
            if name != "_CHECKPOINTABLE_OBJECT_GRAPH"]


# ---------------------------------------------------------------------------------------------
# files


def float32_text(value):
    """A float32's shortest repr that reads back as the same float32 (numpy's), as JSON."""
    v = np.float32(value)
    if not np.isfinite(v):
        raise FixtureError("non-finite output %r" % v)
    text = str(v)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = "%se%d" % (mantissa, int(exponent))
    if np.float32(float(text)) != v:
        raise FixtureError("%s does not read back as float32 %r" % (text, v))
    return text


def outputs_json_text(value):
    """first100_outputs.json: one image per line; floats as float32 shortest repr."""
    def array(a):
        if a.ndim == 1:
            items = [str(int(v)) if a.dtype.kind in "iu" else float32_text(v) for v in a]
            return "[" + ", ".join(items) + "]"
        return "[\n" + ",\n".join("     " + array(row) for row in a) + "\n    ]"

    lines = ["{"]
    for key in ("fixture", "images", "note"):
        lines.append(" %s: %s," % (json.dumps(key), json.dumps(value[key])))
    lines.append(' "signatures": {')
    signatures = []
    for name, sig in value["signatures"].items():
        entry = ["  %s: {" % json.dumps(name)]
        for key in ("input", "input_dtype", "input_shape", "input_form"):
            entry.append("   %s: %s," % (json.dumps(key), json.dumps(sig[key])))
        outputs = ",\n".join("    %s: %s" % (json.dumps(k), array(np.asarray(v)))
                             for k, v in sig["outputs"].items())
        entry.append('   "outputs": {\n%s\n   }' % outputs)
        entry.append("  }")
        signatures.append("\n".join(entry))
    lines.append(",\n".join(signatures))
    lines.append(" }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def shown(path):
    """path relative to the repository when inside it, '/'-separated."""
    path = os.path.abspath(path)
    if path.startswith(REPO + os.sep):
        return os.path.relpath(path, REPO).replace(os.sep, "/")
    return path


def read_fixture_json(base, name):
    path = os.path.join(base, name)
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise FixtureError("%s: not valid JSON (%s)" % (path, e)) from e


def load_saved_model(model_dir):
    if not os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        raise FixtureError("%s: no SavedModel (no saved_model.pb)" % model_dir)
    try:
        return tf.saved_model.load(model_dir)
    except (OSError, ValueError, RuntimeError, tf.errors.OpError) as e:
        message = getattr(e, "message", None) or str(e)
        raise FixtureError("%s: cannot load the SavedModel (%s)"
                           % (model_dir, message.strip().splitlines()[0])) from e


# ---------------------------------------------------------------------------------------------
# make


def versions():
    return {"tensorflow_version": tf.__version__,
            "keras_version": keras_module().__version__,
            "numpy_version": np.__version__,
            "python_version": platform.python_version()}


def describe(name, model_dir, mnist):
    """Loads the SavedModel in model_dir and checks it: (manifest fields, first-100 outputs)."""
    size = make_fixtures.model_size(model_dir)
    if size >= MAX_MODEL_BYTES:
        raise FixtureError("%s: %d bytes, expected under %d" % (name, size, MAX_MODEL_BYTES))
    loaded = load_saved_model(model_dir)
    specs = signature_specs(loaded)
    if specs != expected_specs(name):
        raise FixtureError("%s: signatures %s, expected %s"
                           % (name, json.dumps(specs), json.dumps(expected_specs(name))))

    first = {}
    for signature, spec in specs.items():
        (key, input_spec), = spec["inputs"].items()
        first[signature] = {
            "input": key, "input_dtype": input_spec["dtype"], "input_shape": input_spec["shape"],
            "input_form": INPUT_FORMS[input_spec["dtype"]],
            "outputs": run_signature(loaded, signature, mnist.test_images[:FIRST_N]),
        }
    check_consistent(name, {s: v["outputs"] for s, v in first.items()})

    key = probabilities_key(specs)
    probabilities = run_signature(loaded, "serving_default", mnist.test_images)[key]
    correct = int(np.sum(np.argmax(probabilities, axis=1) == mnist.test_digits))
    count = len(mnist.test_digits)
    if correct / count < MIN_TEST_ACCURACY:
        raise FixtureError("%s: test accuracy %.4f, expected at least %.2f"
                           % (name, correct / count, MIN_TEST_ACCURACY))
    restores, error = session_loader_restores(model_dir, specs)
    return {
        "size": size, "specs": specs, "first": first, "correct": correct, "count": count,
        "session_loader": {"restores": restores, "error": error},
    }


def check_consistent(name, outputs):
    """The signatures of one fixture agree with each other on the same images."""
    if name == "keras-export":
        if not np.array_equal(outputs["serve"]["output_0"], outputs["serving_default"]["output_0"]):
            raise FixtureError("keras-export: serve and serving_default differ")
    for signature, values in outputs.items():
        if "classes" in values and "probabilities" in values:
            if not np.array_equal(values["classes"], np.argmax(values["probabilities"], axis=1)):
                raise FixtureError("%s %s: classes are not the argmax of probabilities"
                                   % (name, signature))
    if name == "keras-module":
        difference = np.max(np.abs(outputs["serving_default"]["probabilities"]
                                   - outputs["pixels"]["probabilities"]))
        if not difference <= SAME_MODEL_ATOL:
            raise FixtureError("keras-module: the PNG and the pixels signatures differ by %g"
                               % difference)
    if name == "keras-two-signatures":
        if not np.array_equal(outputs["classify"]["classes"],
                              np.argmax(outputs["serving_default"]["probabilities"], axis=1)):
            raise FixtureError("keras-two-signatures: classify is not serving_default's argmax")


def check_absent(names, base):
    """make never overwrites: every fixture's version directory must not exist yet."""
    for name in names:
        if os.path.exists(os.path.join(base, name, VERSION)):
            raise FixtureError("%s exists: remove %s first to remake the fixture"
                               % (shown(os.path.join(base, name, VERSION)),
                                  shown(os.path.join(base, name))))


def make(names, mnist, base, command):
    keras = keras_module()
    check_absent(names, base)
    tf.config.experimental.enable_op_determinism()
    for name in names:
        fixture_dir = os.path.join(base, name)
        target = os.path.join(fixture_dir, VERSION)
        model, training_output = train(keras, name, mnist)
        os.makedirs(fixture_dir, exist_ok=True)
        work = tempfile.mkdtemp(prefix=".export-", dir=fixture_dir)
        try:
            model_dir = os.path.join(work, "model")
            export(keras, name, model, model_dir)
            info = describe(name, model_dir, mnist)
            os.mkdir(target)  # claims the name (fails if it appeared meanwhile); replaced next
            os.rename(model_dir, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print("%s: SavedModel written to %s" % (name, shown(target)), flush=True)

        outputs = {
            "fixture": shown(target),
            "images": "the first %d MNIST test images (t10k-images-idx3-ubyte, 0..%d), each fed "
                      "in the signature's input form" % (FIRST_N, FIRST_N - 1),
            "note": "Python's outputs via tf.saved_model.load(dir).signatures[name]; floats are "
                    "float32 values' shortest repr; only outputs are stored, never the images",
            "signatures": info["first"],
        }
        text = outputs_json_text(outputs)
        check_outputs_text(text, info["first"])
        train_tf1.write_text_atomically(os.path.join(fixture_dir, "first100_outputs.json"), text)
        print("wrote %s" % shown(os.path.join(fixture_dir, "first100_outputs.json")))

        manifest = {
            "fixture": shown(target),
            **versions(),
            "made_with": FIXTURES[name]["made_with"],
            "command": command,
            "model": "Dense %d ReLU, Dense 10 softmax on %s %s inputs (%s parameters)" % (
                HIDDEN_UNITS, FIXTURES[name]["model_input"][0],
                list(FIXTURES[name]["model_input"][1]), format(model.count_params(), ",")),
            "training": "model.fit on the 55,000 training images after the first 5,000 (TF1's "
                        "split), shuffled; Adam (Keras default, learning rate 0.001), "
                        "sparse_categorical_crossentropy; keras.utils.set_random_seed(%d), "
                        "op determinism" % SEED,
            "seed": SEED,
            "epochs": EPOCHS,
            "batch_size": BATCH_SIZE,
            "learning_rate": 0.001,
            "train_images": len(mnist.train_digits),
            "training_output": training_output,
            "test_accuracy": round(info["correct"] / info["count"], 4),
            "test_correct": info["correct"],
            "test_images": info["count"],
            "test_accuracy_measured": "tf.saved_model.load(dir).signatures['serving_default'] on "
                                      "all test images in its input form",
            "cpu": bench_report.cpu_model(),
            "cross_cpu": CROSS_CPU,
            "session_loader": info["session_loader"],
            "signatures": info["specs"],
            "checkpoint_variables": checkpoint_variables(target),
            "size_bytes": info["size"],
            "files": make_fixtures.model_files(target),
        }
        if manifest["size_bytes"] != make_fixtures.model_size(target):
            raise FixtureError("%s: size changed while renaming" % shown(target))
        train_tf1.write_json_atomically(os.path.join(fixture_dir, "manifest.json"), manifest)
        print("wrote %s" % shown(os.path.join(fixture_dir, "manifest.json")))
        print("%s: %d bytes, test accuracy %.4f (%d/%d), session loader %s"
              % (name, info["size"], info["correct"] / info["count"], info["correct"],
                 info["count"], "restores it" if info["session_loader"]["restores"]
                 else "fails: " + info["session_loader"]["error"]), flush=True)


def check_outputs_text(text, first):
    """The JSON text parses back to exactly the outputs (float32 bit for bit)."""
    parsed = json.loads(text)["signatures"]
    for signature, value in first.items():
        for key, array in value["outputs"].items():
            back = np.array(parsed[signature]["outputs"][key], dtype=array.dtype)
            if back.shape != array.shape or not np.array_equal(back, array):
                raise FixtureError("%s %s: the JSON does not read back the same" % (signature, key))


# ---------------------------------------------------------------------------------------------
# check


def compare_outputs(recorded, actual, atol, reference_probabilities=None):
    """Problems (list of strings) between recorded first-100 outputs of one signature and actual.
    Classes may differ only where the recorded top two probabilities are within 2 * atol (another
    CPU model may then pick the other); reference_probabilities are those recorded probabilities
    when the signature has no probabilities of its own."""
    problems = []
    if sorted(recorded) != sorted(actual):
        return ["outputs %s, recorded %s" % (sorted(actual), sorted(recorded))]
    probabilities = reference_probabilities
    for key, values in recorded.items():
        if actual[key].dtype.kind == "f":
            probabilities = np.array(values, dtype=np.float32)
    for key, values in recorded.items():
        got = actual[key]
        if got.dtype.kind == "f":
            want = np.array(values, dtype=np.float32)
            if want.shape != got.shape:
                problems.append("%s: shape %s, recorded %s" % (key, got.shape, want.shape))
                continue
            difference = float(np.max(np.abs(got - want)))
            if not difference <= atol:
                problems.append("%s: max abs difference %g, allowed %g" % (key, difference, atol))
        else:
            want = np.array(values, dtype=np.int64)
            if want.shape != got.shape:
                problems.append("%s: shape %s, recorded %s" % (key, got.shape, want.shape))
                continue
            differ = np.flatnonzero(want != got)
            if differ.size and probabilities is not None:
                top2 = np.sort(probabilities[differ], axis=1)[:, -2:]
                differ = differ[top2[:, 1] - top2[:, 0] >= 2 * atol]
            if differ.size:
                problems.append("%s: differs at image %d (%d, recorded %d)"
                                % (key, differ[0], got[differ[0]], want[differ[0]]))
    return problems


def check(names, mnist, base):
    failed = False
    for name in names:
        fixture_dir = os.path.join(base, name)
        model_dir = os.path.join(fixture_dir, VERSION)
        manifest = read_fixture_json(fixture_dir, "manifest.json")
        first = read_fixture_json(fixture_dir, "first100_outputs.json")
        problems = []
        if make_fixtures.model_files(model_dir) != manifest["files"]:
            problems.append("files or their sha256 differ from the manifest")
        size = make_fixtures.model_size(model_dir)
        if size != manifest["size_bytes"] or size >= MAX_MODEL_BYTES:
            problems.append("%d bytes, manifest %d, limit %d"
                            % (size, manifest["size_bytes"], MAX_MODEL_BYTES))
        loaded = load_saved_model(model_dir)
        specs = signature_specs(loaded)
        if specs != manifest["signatures"] or specs != expected_specs(name):
            problems.append("signatures differ from the manifest or the expected ones")
        atol = manifest["cross_cpu"]["probability_atol"]
        reference = None
        if "serving_default" in first["signatures"]:
            key = probabilities_key(manifest["signatures"])
            reference = np.array(first["signatures"]["serving_default"]["outputs"][key],
                                 np.float32)
        for signature, recorded in first["signatures"].items():
            if signature not in loaded.signatures:
                problems.append("no signature %s" % signature)
                continue
            actual = run_signature(loaded, signature, mnist.test_images[:FIRST_N])
            problems += ["%s %s" % (signature, p) for p in
                         compare_outputs(recorded["outputs"], actual, atol, reference)]
        key = probabilities_key(specs)
        probabilities = run_signature(loaded, "serving_default", mnist.test_images)[key]
        correct = int(np.sum(np.argmax(probabilities, axis=1) == mnist.test_digits))
        if abs(correct - manifest["test_correct"]) > manifest["cross_cpu"]["test_correct_delta"]:
            problems.append("test correct %d, manifest %d" % (correct, manifest["test_correct"]))
        if problems:
            failed = True
            for problem in problems:
                print("%s: FAILED: %s" % (name, problem))
        else:
            print("%s: ok: %d bytes, files as the manifest, first %d outputs of %s within %g, "
                  "test accuracy %.4f (%d/%d, recorded %d)"
                  % (name, size, FIRST_N, ", ".join(first["signatures"]), atol,
                     correct / len(mnist.test_digits), correct, len(mnist.test_digits),
                     manifest["test_correct"]), flush=True)
    return 1 if failed else 0


# ---------------------------------------------------------------------------------------------
# command line


def parser():
    p = argparse.ArgumentParser(
        prog="make_keras3_fixtures.py",
        description="Makes (or checks) four small Keras 3 SavedModels under savedmodel/: "
                    "keras-export (model.export), keras-module (tf.Module + tf.saved_model.save, "
                    "PNG and pixels signatures), keras-uint8 (uint8 input), keras-two-signatures "
                    "(serving_default and classify). Each is trained for %d epochs (batch %d, "
                    "seed %d) on the 55,000 TF1 training images." % (EPOCHS, BATCH_SIZE, SEED))
    p.add_argument("action", choices=["make", "check"],
                   help="make: train, export and describe (refuses when the fixture exists); "
                        "check: reload and compare with the manifest")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="fixtures (default: all): %s" % ", ".join(FIXTURES))
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help="MNIST directory (default: $MNIST_DIR, else data/mnist)")
    p.add_argument("--base", metavar="DIR", default=None,
                   help="where the fixture directories go (default: savedmodel/ of the "
                        "repository)")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    p = parser()
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in FIXTURES]
    if unknown:
        p.error("unknown fixture %s (choose from %s)" % (unknown[0], ", ".join(FIXTURES)))
    names = list(dict.fromkeys(args.names)) or list(FIXTURES)
    tfsetup.quiet()
    data_dir = args.data_dir if args.data_dir is not None else mnist_idx.default_data_dir()
    base = os.path.abspath(args.base) if args.base is not None else DEFAULT_BASE
    python = shown(sys.executable) if sys.executable.startswith(REPO + os.sep) \
        else sys.executable
    command = shlex.join([python, shown(os.path.abspath(__file__)), *argv])
    try:
        if os.path.exists(base) and not os.path.isdir(base):
            raise FixtureError("%s: exists and is not a directory (--base)" % base)
        if args.action == "make":
            check_absent(names, base)
            mnist = Mnist(data_dir)
            make(names, mnist, base, command)
            return 0
        mnist = Mnist(data_dir, train=False)
        try:
            return check(names, mnist, base)
        except KeyError as e:
            raise FixtureError("a manifest or outputs file has no %s" % e) from e
    except (FixtureError, mnist_idx.MnistFormatError, OSError) as e:
        print("make_keras3_fixtures.py: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("make_keras3_fixtures.py: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
