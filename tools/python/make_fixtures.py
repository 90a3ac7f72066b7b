#!/usr/bin/env python3
"""Makes the committed Python fixtures that the Java tests load.

  make_fixtures.py tf1     savedmodel/python-tf1/1/ (train_tf1.py, original settings, seed 1),
                           savedmodel/python-tf1/manifest.json, .../first100_probabilities.json
  make_fixtures.py keras   the same for savedmodel/python-keras/ (train_keras.py)
  make_fixtures.py describe-tf1 | describe-keras
                           rewrites only manifest.json and first100_probabilities.json of an
                           existing fixture (command and training output kept from its manifest)
  make_fixtures.py parity  savedmodel/python-tf1/parity.json: the losses of 20 Adam steps (fresh
                           Adam state, keep_prob 1, batch 100, seed-1 batch order, lr 1e-4) from
                           the python-tf1 fixture's own weights

Training runs as a subprocess (the exact command is recorded in the manifest); nothing is
overwritten: a version directory that already exists must be removed by hand first. The
manifest and the probabilities file sit beside the version directory, so the SavedModel directory
holds nothing but the SavedModel.

Usage: make_fixtures.py {tf1,keras,parity} [--data-dir DIR] [--python PY]
"""

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import argparse
import hashlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys

import numpy as np

import bench_report
import mnist_idx
import savedmodel_util
import train_tf1

tf = tfsetup.tf

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MAX_MODEL_BYTES = 14_000_000
FIRST_N = 100

FIXTURES = {
    "tf1": {
        "dir": os.path.join("savedmodel", "python-tf1"),
        "script": os.path.join("tools", "python", "train_tf1.py"),
        "args": ["--steps", "1000", "--batch-size", "100", "--learning-rate", "1e-4",
                 "--keep-prob", "0.5", "--eval-every", "50", "--seed", "1"],
        "settings": {"steps": 1000, "batch_size": 100, "seed": 1, "learning_rate": 1e-4,
                     "keep_prob": 0.5},
    },
    "keras": {
        "dir": os.path.join("savedmodel", "python-keras"),
        "script": os.path.join("tools", "python", "train_keras.py"),
        "args": ["--steps", "1000", "--batch-size", "100", "--eval-every", "100", "--seed", "1"],
        "settings": {"steps": 1000, "batch_size": 100, "seed": 1, "learning_rate": 1e-4,
                     "keep_prob": 0.5},
    },
}
# What another CPU model may read from a fixture that was made on this one: its kernels round
# differently in the last digits, which can move a probability slightly and, rarely, flip an image
# whose two best classes are nearly tied. The Java and the Python tests read these from the
# manifest; Java and Python on one machine agree far closer (CI compares them there).
CROSS_CPU = {"probability_atol": 1e-4, "test_correct_delta": 3}
PARITY_STEPS = 20
# How far the committed losses may be from those of another CPU model (relative): the kernels
# round differently there, and 20 Adam steps carry that into the losses (measured on an Intel
# Xeon against this AMD-made fixture: 0.0029 at worst). Step 0 is a forward pass only. The Java
# and the Python tests both read these from parity.json; on one machine the two languages agree
# to float precision, which CI checks by running both there.
PARITY_CROSS_CPU_RTOL = {"first_step": 1e-3, "all_steps": 2e-2}


class FixtureError(Exception):
    pass


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_files(model_dir):
    """{relative path: sha256} of every file under model_dir, '/'-separated, sorted."""
    files = {}
    for root, dirs, names in os.walk(model_dir):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            files[os.path.relpath(path, model_dir).replace(os.sep, "/")] = sha256(path)
    return dict(sorted(files.items()))


def model_size(model_dir):
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(model_dir) for name in names)


def check_inference_only(model_dir):
    """The SavedModel's checkpoint must hold the 3,274,634 model parameters and nothing else."""
    prefix = os.path.join(model_dir, "variables", "variables")
    stored = [(name, shape) for name, shape in tf.train.list_variables(prefix)
              if name != "_CHECKPOINTABLE_OBJECT_GRAPH"]
    suspicious = [name for name, _ in stored
                  if re.search(r"adam|optimizer|beta\d_power|momentum|iteration|seed", name, re.I)]
    parameters = sum(int(np.prod(shape)) for _, shape in stored)
    if suspicious or len(stored) != 8 or parameters != 3_274_634:
        raise FixtureError("%s: expected exactly the 8 model variables (3,274,634 parameters), "
                           "found %d variables, %d parameters%s"
                           % (prefix, len(stored), parameters,
                              ", including " + ", ".join(suspicious) if suspicious else ""))
    return [name for name, _ in stored]


def write_json(path, value):
    train_tf1.write_json_atomically(path, value)
    print("wrote %s" % os.path.relpath(path, REPO))


def write_probabilities_json(path, value):
    """JSON with one image's probabilities per line; floats are float32 values' shortest repr."""
    lines = ["{"]
    for key, item in value.items():
        if key == "probabilities":
            rows = ",\n".join("  " + json.dumps(row) for row in item)
            lines.append(' "probabilities": [\n%s\n ]' % rows)
        else:
            lines.append(" %s: %s," % (json.dumps(key), json.dumps(item)))
    lines.append("}")
    text = "\n".join(lines) + "\n"
    if json.loads(text) != value:
        raise FixtureError("%s: the JSON written does not read back the same" % path)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    print("wrote %s" % os.path.relpath(path, REPO))


def run_logged(command):
    """Runs command in the repository root, echoing and returning its stdout; fails loudly."""
    print("$ %s" % shlex.join(command), flush=True)
    process = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True,
                             env=tfsetup.child_environment())
    sys.stdout.write(process.stdout)
    if process.returncode != 0:
        raise FixtureError("command failed with exit code %d: %s"
                           % (process.returncode, shlex.join(command)))
    return process.stdout


def describe(name, data_dir, command, output):
    """manifest.json and first100_probabilities.json of fixture `name` from its SavedModel."""
    fixture = FIXTURES[name]
    base = os.path.join(REPO, fixture["dir"])
    model_dir = os.path.join(base, "1")
    if not os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        raise FixtureError("%s: no SavedModel" % model_dir)
    size = model_size(model_dir)
    if size > MAX_MODEL_BYTES:
        raise FixtureError("%s: %d bytes, more than the %d allowed"
                           % (model_dir, size, MAX_MODEL_BYTES))
    variables = check_inference_only(model_dir)

    test = mnist_idx.load_test(data_dir)
    signature = savedmodel_util.Signature(model_dir)
    output_key = signature.probabilities_key()
    probabilities = signature.predict(test.images, output_key)
    correct = int(np.sum(np.argmax(probabilities, axis=1) == test.digits))
    accuracy = correct / test.count

    printed = re.findall(r"^final test accuracy (\S+)$", output, re.M)
    if not printed:
        raise FixtureError("the training output has no 'final test accuracy' line")
    if printed[-1] != "%.4f" % accuracy:
        raise FixtureError("training printed accuracy %s, the exported model gives %.4f"
                           % (printed[-1], accuracy))

    manifest = {
        "fixture": fixture["dir"].replace(os.sep, "/") + "/1",
        "tensorflow_version": tf.__version__,
        "keras_version": __import__("keras").__version__ if name == "keras" else None,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        **fixture["settings"],
        "test_accuracy": round(accuracy, 4),
        "test_accuracy_full": accuracy,
        "test_correct": correct,
        "test_images": test.count,
        "cpu": bench_report.cpu_model(),
        "cross_cpu": CROSS_CPU,
        "signature": {
            "key": signature.key,
            "input": signature.input_key,
            "input_shape": signature.input_shape(),
            "outputs": {key: {"dtype": spec.dtype.name,
                              "shape": [-1 if d is None else d for d in spec.shape.as_list()]}
                        for key, spec in sorted(signature.outputs.items())},
        },
        "variables": variables,
        "size_bytes": size,
        "files": model_files(model_dir),
        "command": command if isinstance(command, str) else shlex.join(command),
        "training_output": output.splitlines(),
    }
    if name != "keras":
        del manifest["keras_version"]
    write_json(os.path.join(base, "manifest.json"), manifest)

    first = probabilities[:FIRST_N].astype(np.float32)
    write_probabilities_json(os.path.join(base, "first100_probabilities.json"), {
        "signature": signature.key,
        "input": signature.input_key,
        "output": output_key,
        "input_shape": signature.input_shape(),
        "probabilities": [[float(np.float32(v)) for v in row] for row in first],
    })
    print("%s: %d bytes, test accuracy %.4f (%d/%d)"
          % (fixture["dir"], size, accuracy, correct, test.count))


def redescribe(name, data_dir):
    """Rewrites manifest.json and first100_probabilities.json of an existing fixture, keeping the
    command and training output recorded in its manifest."""
    path = os.path.join(REPO, FIXTURES[name]["dir"], "manifest.json")
    try:
        with open(path) as f:
            manifest = json.load(f)
        command, output = manifest["command"], "\n".join(manifest["training_output"]) + "\n"
    except (OSError, ValueError, KeyError) as e:
        raise FixtureError("%s: cannot read the recorded command and output (%s)" % (path, e))
    describe(name, data_dir, command, output)


def make_model(name, python, data_dir):
    fixture = FIXTURES[name]
    base = os.path.join(REPO, fixture["dir"])
    if os.path.exists(os.path.join(base, "1")):
        raise FixtureError("%s/1 exists: remove %s first to remake the fixture"
                           % (fixture["dir"], fixture["dir"]))
    command = [python, fixture["script"], *fixture["args"], "--data-dir", data_dir,
               "--export-dir", fixture["dir"]]
    output = run_logged(command)
    made = re.findall(r"^SavedModel written to (.*)$", output, re.M)
    if made != [os.path.join(fixture["dir"], "1")]:
        raise FixtureError("expected the model in %s/1, the script reported %s"
                           % (fixture["dir"], made))
    describe(name, data_dir, command, output)


def make_parity(python, data_dir):
    init_from = "savedmodel/python-tf1/1/variables/variables"
    if not train_tf1.checkpoint_exists(os.path.join(REPO, init_from)):
        raise FixtureError("%s: missing; make the tf1 fixture first" % init_from)
    losses_path = os.path.join("savedmodel", "python-tf1", ".parity-losses.json")
    command = [python, os.path.join("tools", "python", "train_tf1.py"),
               "--init-from", init_from, "--steps", str(PARITY_STEPS), "--batch-size", "100",
               "--learning-rate", "1e-4", "--keep-prob", "1", "--seed", "1",
               "--eval-every", str(PARITY_STEPS), "--no-export", "--data-dir", data_dir,
               "--losses-json", losses_path]
    try:
        run_logged(command)
        with open(os.path.join(REPO, losses_path)) as f:
            losses = json.load(f)
    finally:
        if os.path.exists(os.path.join(REPO, losses_path)):
            os.unlink(os.path.join(REPO, losses_path))
    if len(losses) != PARITY_STEPS or not all(np.isfinite(losses)):
        raise FixtureError("expected %d finite losses, got %s" % (PARITY_STEPS, losses))
    write_json(os.path.join(REPO, "savedmodel", "python-tf1", "parity.json"), {
        "init_from": init_from,
        "seed": 1,
        "batch_size": 100,
        "keep_prob": 1.0,
        "learning_rate": 1e-4,
        "steps": PARITY_STEPS,
        "losses": losses,
        "cross_cpu_rtol": PARITY_CROSS_CPU_RTOL,
        "cpu": bench_report.cpu_model(),
        "tensorflow_version": tf.__version__,
        "command": shlex.join(command),
    })


def main(argv=None):
    p = argparse.ArgumentParser(prog="make_fixtures.py",
                                description="Makes the committed Python SavedModel fixtures.")
    p.add_argument("what", choices=["tf1", "keras", "parity", "describe-tf1", "describe-keras"])
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help="MNIST directory (default: $MNIST_DIR, else data/mnist)")
    p.add_argument("--python", metavar="PY", default=os.path.relpath(sys.executable, REPO)
                   if sys.executable.startswith(REPO + os.sep) else sys.executable,
                   help="interpreter for the training scripts (default: this one)")
    args = p.parse_args(argv)
    tfsetup.quiet()
    data_dir = args.data_dir if args.data_dir is not None else mnist_idx.default_data_dir()
    try:
        if not os.path.isdir(data_dir):
            raise FixtureError("%s: MNIST directory not found (use --data-dir or MNIST_DIR)"
                               % data_dir)
        if args.what == "parity":
            make_parity(args.python, data_dir)
        elif args.what.startswith("describe-"):
            redescribe(args.what[len("describe-"):], data_dir)
        else:
            make_model(args.what, args.python, data_dir)
    except (FixtureError, savedmodel_util.SavedModelError, mnist_idx.MnistFormatError,
            OSError) as e:
        print("make_fixtures.py: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
