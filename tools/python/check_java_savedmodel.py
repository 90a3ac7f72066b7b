#!/usr/bin/env python3
"""Loads a Java-exported SavedModel in Python and compares its predictions with Java's.

DIR is a SavedModel or a TensorFlow Serving base directory (the highest integer version is
taken). It is loaded with tf.saved_model.load; its serving_default signature predicts the 10,000
test images; the probabilities are compared with the ones Java computed (a float32 .npy array
shaped (10000, 10), image i in row i).

Prints the model, the accuracy Python measures and, as its last line, the largest absolute
difference, e.g. "max abs difference 1.2e-07 (10000 images)".

Exit codes: 0 the largest difference is <= --tolerance (1e-5); 1 it is larger, or a file cannot be
read; 2 bad command line.

Usage: check_java_savedmodel.py --model DIR --java-probabilities FILE.npy [--data-dir DIR]
                                [--tolerance 1e-5] [--write-probabilities FILE.npy]
"""

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import argparse
import math
import os
import sys
import tempfile

import numpy as np

import mnist_idx
import savedmodel_util

tf = tfsetup.tf


class UserError(Exception):
    pass


def parser():
    p = argparse.ArgumentParser(
        prog="check_java_savedmodel.py",
        description="Predicts the 10,000 MNIST test images with a (Java-exported) SavedModel "
                    "loaded by tf.saved_model.load and compares with Java's probabilities.")
    p.add_argument("--model", required=True, metavar="DIR",
                   help="SavedModel directory, or a base directory of integer versions "
                        "(the highest is used)")
    p.add_argument("--java-probabilities", required=True, metavar="FILE.npy",
                   help="Java's probabilities: float32 .npy array of shape (10000, 10)")
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help="MNIST directory (default: $MNIST_DIR, else data/mnist)")
    p.add_argument("--tolerance", type=float, default=1e-5, metavar="T",
                   help="largest allowed absolute difference (default: 1e-5)")
    p.add_argument("--write-probabilities", metavar="FILE.npy",
                   help="also write Python's probabilities as a float32 .npy array")
    return p


def load_java_probabilities(path, count):
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise UserError("%s: file not found" % path) from None
    except (OSError, ValueError) as e:
        raise UserError("%s: not a readable .npy array (%s)" % (path, e)) from e
    if array.shape != (count, 10):
        raise UserError("%s: shape %s, expected (%d, 10)" % (path, array.shape, count))
    if array.dtype != np.float32:
        raise UserError("%s: dtype %s, expected float32" % (path, array.dtype))
    return array


def save_npy_atomically(path, array):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    args = parser().parse_args(argv)
    if not (math.isfinite(args.tolerance) and args.tolerance >= 0):
        parser().error("--tolerance must be a finite number >= 0, got %r" % args.tolerance)
    tfsetup.quiet()
    data_dir = args.data_dir if args.data_dir is not None else mnist_idx.default_data_dir()
    try:
        if not os.path.isdir(data_dir):
            raise UserError("%s: MNIST directory not found (use --data-dir or MNIST_DIR)"
                            % data_dir)
        test = mnist_idx.load_test(data_dir)
        java = load_java_probabilities(args.java_probabilities, test.count)
        model_dir = savedmodel_util.resolve(args.model)
        signature = savedmodel_util.Signature(model_dir)
        output_key = signature.probabilities_key()
        python = signature.predict(test.images, output_key)
        if python.shape != java.shape:
            raise UserError("%s: output %r has shape %s, expected %s"
                            % (model_dir, output_key, python.shape, java.shape))
        if args.write_probabilities:
            save_npy_atomically(args.write_probabilities, python.astype(np.float32))
    except (UserError, savedmodel_util.SavedModelError, mnist_idx.MnistFormatError, OSError) as e:
        print("check_java_savedmodel.py: error: %s" % e, file=sys.stderr)
        return 1

    accuracy = float(np.mean(np.argmax(python, axis=1) == test.digits))
    java_accuracy = float(np.mean(np.argmax(java, axis=1) == test.digits))
    difference = np.abs(python.astype(np.float64) - java.astype(np.float64))
    difference = np.where(np.isnan(difference), np.inf, difference)  # NaN never agrees
    worst = float(difference.max())
    print("model %s (signature %s: %s %s -> %s)" % (
        model_dir, signature.key, signature.input_key, signature.input_shape(), output_key))
    print("test accuracy %.4f with Python's probabilities, %.4f with Java's (%d images)"
          % (accuracy, java_accuracy, test.count))
    agree = worst <= args.tolerance
    if not agree:
        row = int(np.unravel_index(np.argmax(difference), difference.shape)[0])
        print("largest difference at test image %d (tolerance %g): FAIL" % (row, args.tolerance))
    print("max abs difference %.2g (%d images)" % (worst, test.count))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
