#!/usr/bin/env python3
"""Does Java give what Python gives for this SavedModel? Feeds the same inputs to Python's
tf.saved_model.load and to this project's Java loader, and prints the largest difference of every
output of every signature.

Usage: compare_with_java.py --model DIR [--signature NAME]... [--data-dir DIR] [--count N]
                            [--seed S] [--tolerance T]

The Java side is ServeMnist (the Java loader behind TensorFlow Serving's REST API) started on a
free loopback port without batching, so that its answers are the loader's own, bit for bit; it is
built and run with Maven from the project root (`mvn -q compile exec:java@serve`). Inputs: a
signature that classifies images (one input, an image shape or encoded images) gets the first
--count MNIST test images in its own form (floats in [0, 1], integers 0..255, PNG bytes); any other
gets seeded random values of each input's dtype, unknown dimensions set to --count.

Prints one line per output, `SIGNATURE/OUTPUT dtype shape: max abs difference D` (or `N of M
values differ` for integers and strings), then `max abs difference D (...)`. Exit code 0 when every
output agrees within --tolerance (default 1e-5; integers and strings must be equal), 1 when one does
not, 2 for a bad command line; errors are one line on stderr.
"""

import argparse
import base64
import json
import math
import os
import re
import subprocess
import sys
import threading
import urllib.request

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import numpy as np

import mnist_idx
import savedmodel_util

tf = tfsetup.tf
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INIT_SIGNATURE = "__saved_model_init_op"
SERVING = re.compile(r"^Serving \S+ version \S+ at (http://\S+)$")
GRPC = re.compile(r"^gRPC: (\S+):(\d+)$")  # printed before SERVING when asked for --grpc-port
IMAGE = 28


class UserError(Exception):
    """What the user can fix; the message is one line."""


def parser():
    p = argparse.ArgumentParser(
        prog="compare_with_java.py",
        description="Feed the same inputs to Python's tf.saved_model.load and to the Java loader "
                    "and print the largest difference per output.")
    p.add_argument("--model", required=True, metavar="DIR",
                   help="SavedModel directory, or a base directory (highest version)")
    p.add_argument("--signature", action="append", metavar="NAME",
                   help="signature to compare (repeatable; default: all)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="MNIST directory for image signatures (default: $MNIST_DIR, else data/mnist)")
    p.add_argument("--count", type=int, default=100, metavar="N",
                   help="images, or the size of unknown dimensions (default: 100)")
    p.add_argument("--seed", type=int, default=1, metavar="S",
                   help="seed of the random inputs (default: 1)")
    p.add_argument("--tolerance", type=float, default=1e-5, metavar="T",
                   help="largest absolute difference allowed for floats (default: 1e-5)")
    p.add_argument("--load-library", action="append", default=[], metavar="FILE",
                   help="custom-op library (.so) the model needs, loaded on both sides "
                        "(repeatable)")
    return p


def image_form(spec):
    """How a single-input signature takes images: 'encoded', 'pixels', or None (not images)."""
    dims = spec.shape.as_list() if spec.shape.rank is not None else None
    if spec.dtype == tf.string and dims is not None and len(dims) <= 1:
        return "encoded"
    numeric = (tf.float16, tf.float32, tf.float64, tf.uint8, tf.int32, tf.int64)
    if spec.dtype not in numeric or not dims or dims[0] is not None:
        return None
    tail = [d for d in dims[1:]]
    shapes = ([IMAGE * IMAGE], [IMAGE, IMAGE], [IMAGE, IMAGE, 1], [1, IMAGE, IMAGE])
    fits = any(len(tail) == len(s) and all(d in (None, w) for d, w in zip(tail, s))
               for s in shapes)
    return "pixels" if fits else None


def image_inputs(spec, test, count):
    """The first `count` test images in the input's own form."""
    pixels = test.images[:count]  # float32 in [0, 1], [count, 784]
    if image_form(spec) == "encoded":
        encoded = [tf.io.encode_png(np.round(p * 255).astype(np.uint8).reshape(IMAGE, IMAGE, 1))
                   .numpy() for p in pixels]
        return np.array(encoded[0] if spec.shape.rank == 0 else encoded, dtype=object)
    tail = spec.shape.as_list()[1:]
    if len(tail) == 1:
        shape = [count, IMAGE * IMAGE]
    elif len(tail) == 2:
        shape = [count, IMAGE, IMAGE]
    elif tail[0] == 1 and tail[2] != 1:
        shape = [count, 1, IMAGE, IMAGE]  # channels first
    else:
        shape = [count, IMAGE, IMAGE, 1]
    shaped = pixels.reshape(shape)
    if spec.dtype.is_integer:
        return np.round(shaped * 255).astype(spec.dtype.as_numpy_dtype)
    return shaped.astype(spec.dtype.as_numpy_dtype)


def random_input(spec, count, rng):
    """Seeded values of the input's dtype and shape; unknown dimensions are `count`."""
    if spec.shape.rank is None:
        raise UserError("input %r has an unknown rank: no shape to make random values of"
                        % spec.name)
    shape = [count if d is None else d for d in spec.shape.as_list()]
    if spec.dtype == tf.string:  # text: short words of ASCII letters and accents, valid UTF-8
        letters = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") + ["\u00e9", "e\u0301"]
        words = ["".join(rng.choice(letters, size=int(rng.integers(1, 9)))).encode("utf-8")
                 for _ in range(int(np.prod(shape)))]
        return np.array(words, dtype=object).reshape(shape)
    if spec.dtype == tf.bool:
        return rng.random(shape) < 0.5
    if spec.dtype.is_integer:
        return rng.integers(0, 10, size=shape).astype(spec.dtype.as_numpy_dtype)
    if spec.dtype.is_floating:
        return rng.random(shape).astype(spec.dtype.as_numpy_dtype)
    raise UserError("input %r has dtype %s, which this tool cannot make values of"
                    % (spec.name, spec.dtype.name))


def to_json(value):
    """A numpy value in TensorFlow Serving's JSON: nested lists, {"b64": ...} for bytes."""
    if value.dtype == object:
        flat = [{"b64": base64.b64encode(v).decode("ascii")} for v in value.reshape(-1)]
        return np.array(flat, dtype=object).reshape(value.shape).tolist()
    if value.dtype == np.float16:
        value = value.astype(np.float32)  # JSON numbers; the server makes float16 again
    return value.tolist()


class JavaServer:
    """ServeMnist on a free loopback port, for one model; stopped with stop().

    extra_args go to ServeMnist after the others (e.g. ["--name", "NAME", "--grpc-port", "0"]).
    url is the REST model URL of the `Serving NAME version V at URL` line; grpc_target is the
    HOST:PORT of a `gRPC: HOST:PORT` line printed before it (None without one).
    """

    def __init__(self, model_dir, libraries=(), extra_args=()):
        args = ["--model", os.path.abspath(model_dir), "--port", "0", "--no-batching",
                "--no-warm-up"]
        for library in libraries:
            args += ["--load-library", os.path.abspath(library)]
        args += list(extra_args)
        if "--grpc-port" not in args:
            args += ["--grpc-port", "0"]  # never TF Serving's 8500: another server may have it
        command = ["mvn", "-q", "-B", "-f", os.path.join(ROOT, "pom.xml"), "compile",
                   "exec:java@serve", "-Dexec.args=" + " ".join(args)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.output = []
        self.url = None
        self.grpc_target = None
        for line in self.process.stdout:
            line = re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip("\n")
            self.output.append(line)
            grpc_match = GRPC.match(line)
            if grpc_match:
                host, port = grpc_match.groups()
                bare_ipv6 = ":" in host and not host.startswith("[")
                self.grpc_target = "%s:%s" % ("[%s]" % host if bare_ipv6 else host, port)
            match = SERVING.match(line)
            if match:
                self.url = match.group(1)
                break
        if self.url is None:
            self.process.wait()
            raise UserError("the Java server did not start: %s"
                            % (" | ".join(line for line in self.output[-3:] if line.strip())
                               or "no output"))
        # keep reading, so that the server never blocks on a full pipe
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()

    def predict(self, signature, inputs):
        body = json.dumps({"signature_name": signature,
                           "inputs": {k: to_json(v) for k, v in inputs.items()}}).encode("utf-8")
        request = urllib.request.Request(self.url + ":predict", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return json.load(response)["outputs"]
        except urllib.error.HTTPError as e:
            raise UserError("Java answered %d for signature %s: %s"
                            % (e.code, signature, e.read().decode("utf-8", "replace")))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def from_json(value, like):
    """Java's JSON output as an array comparable with Python's `like`."""
    if like.dtype == object:
        def decode(v):
            return base64.b64decode(v["b64"]) if isinstance(v, dict) else v.encode("utf-8")
        flat = np.array(value, dtype=object).reshape(-1)
        return np.array([decode(v) for v in flat], dtype=object).reshape(like.shape)
    return np.array(value, dtype=like.dtype if like.dtype != np.float16 else np.float32) \
        .reshape(like.shape)


def compare(python, java):
    """(max abs difference, values differing): NaN agrees only with NaN."""
    if python.dtype == object or python.dtype.kind in "iub":
        differing = int(np.sum(python.reshape(-1) != java.reshape(-1)))
        return (0.0 if differing == 0 else math.inf), differing
    p = python.astype(np.float64)
    j = java.astype(np.float64)
    both_nan = np.isnan(p) & np.isnan(j)
    difference = np.where(both_nan, 0.0, np.abs(p - j))
    difference = np.where(np.isnan(difference), math.inf, difference)
    worst = float(difference.max()) if difference.size else 0.0
    return worst, int(np.sum(difference > 0))


def main(argv=None):
    args = parser().parse_args(argv)
    if not (math.isfinite(args.tolerance) and args.tolerance >= 0):
        parser().error("--tolerance must be a finite number >= 0, got %r" % args.tolerance)
    if args.count < 1:
        parser().error("--count must be at least 1, got %d" % args.count)
    tfsetup.quiet()
    server = None
    try:
        model_dir = savedmodel_util.resolve(args.model)
        for library in args.load_library:
            if not os.path.isfile(library):
                raise UserError("%s: no such op library" % library)
            tf.load_op_library(os.path.abspath(library))
        try:
            loaded = tf.saved_model.load(model_dir, tags=["serve"])
        except (OSError, ValueError, RuntimeError, tf.errors.OpError) as e:
            raise UserError("%s: Python cannot load it (%s)"
                            % (model_dir, str(e).strip().splitlines()[0]))
        names = args.signature or sorted(k for k in loaded.signatures if k != INIT_SIGNATURE)
        missing = [n for n in names if n not in loaded.signatures]
        if missing:
            raise UserError("%s: no signature %s (it has: %s)" % (
                model_dir, ", ".join(missing), ", ".join(sorted(loaded.signatures))))
        rng = np.random.default_rng(args.seed)
        test = None
        server = JavaServer(model_dir, args.load_library)
        results = []
        for name in names:
            function = loaded.signatures[name]
            specs = function.structured_input_signature[1]
            if len(specs) == 1 and image_form(next(iter(specs.values()))):
                if test is None:
                    data_dir = args.data_dir or mnist_idx.default_data_dir()
                    if not os.path.isdir(data_dir):
                        raise UserError("%s: MNIST directory not found (use --data-dir or "
                                        "MNIST_DIR)" % data_dir)
                    test = mnist_idx.load_test(data_dir)
                key, spec = next(iter(specs.items()))
                inputs = {key: image_inputs(spec, test, min(args.count, test.count))}
                what = "test images"
            else:
                inputs = {k: random_input(s, args.count, rng) for k, s in sorted(specs.items())}
                what = "seeded random values"
            python = {k: v.numpy() for k, v in function(
                **{k: tf.constant(v) for k, v in inputs.items()}).items()}
            java = server.predict(name, inputs)
            if not isinstance(java, dict):  # TF Serving answers a lone output without its name
                java = {next(iter(python)): java}
            for key in sorted(python):
                if key not in java:
                    raise UserError("signature %s: Java gave no output %r (it gave %s)"
                                    % (name, key, ", ".join(sorted(java))))
                worst, differing = compare(python[key], from_json(java[key], python[key]))
                results.append((name, key, python[key], worst, differing, what))
    except (UserError, savedmodel_util.SavedModelError, mnist_idx.MnistFormatError, OSError) as e:
        print("compare_with_java.py: error: %s" % e, file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()

    agree = True
    for name, key, value, worst, differing, what in results:
        exact = value.dtype == object or value.dtype.kind in "iub"
        ok = differing == 0 if exact else worst <= args.tolerance
        agree &= ok
        detail = ("%d of %d values differ" % (differing, value.size) if exact
                  else "max abs difference %.2g" % worst)
        print("%s/%s %s %s: %s (%s)%s" % (name, key, value.dtype, list(value.shape), detail, what,
                                          "" if ok else "  FAIL"))
    overall = max((w for _, _, _, w, _, _ in results), default=0.0)
    print("max abs difference %.2g (%d outputs of %d signatures, tolerance %g)"
          % (overall, len(results), len({r[0] for r in results}), args.tolerance))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
