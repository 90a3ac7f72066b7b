#!/usr/bin/env python3
"""Runs the original program, shared/seed/seed_program.py, unmodified on TensorFlow 2.18.

The program was written for TensorFlow 1: `import tensorflow as tf` must give the TF1 API and
`tensorflow.examples.tutorials.mnist.input_data`, removed from TensorFlow 2, must exist. This
runner supplies both before it executes the file as `__main__`, without changing a byte of it:

- `tensorflow` is `tf.compat.v1` with TF2 behaviour off (graph mode, sessions, placeholders);
- `input_data.read_data_sets(dir, one_hot=True)` reads the four MNIST files of --data-dir (the
  program's 'MNIST_data' is ignored: nothing is downloaded), with TF1's split (the first 5,000
  training images are the validation set, train has 55,000), pixels float32 in [0, 1], one-hot
  labels, and TF1's next_batch: a shuffled permutation walked in order, reshuffled at each
  epoch's end, the epoch's remainder joined to the start of the next one.

The program seeds nothing, so its accuracies differ from run to run; what the bench takes from it
is its wall time. It prints the 20 accuracies, as the original did.

Usage: run_seed_program.py [--program FILE] [--data-dir DIR]
"""

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import argparse
import os
import runpy
import sys
import types

import numpy as np

import mnist_idx

DEFAULT_PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "..", "..", "shared", "seed", "seed_program.py")


class DataSet:
    """TF1's input_data DataSet: images [n, 784] float32, labels one-hot, next_batch."""

    def __init__(self, split):
        self.images = split.images
        self.labels = split.labels
        self.num_examples = split.count
        self.epochs_completed = 0
        self._order = np.arange(self.num_examples)
        self._position = 0
        self._shuffled_once = False

    def _reshuffle(self):
        self._order = np.arange(self.num_examples)
        np.random.shuffle(self._order)

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        if fake_data:
            raise NotImplementedError("fake_data is not supported by this runner")
        if shuffle and not self._shuffled_once:
            self._reshuffle()
        self._shuffled_once = True
        end = self._position + batch_size
        if end <= self.num_examples:
            taken = self._order[self._position:end]
            self._position = end
            return self.images[taken], self.labels[taken]
        # the epoch ends inside this batch: its remainder, then the start of a new order
        remainder = self._order[self._position:]
        self.epochs_completed += 1
        if shuffle:
            self._reshuffle()
        self._position = batch_size - len(remainder)
        taken = np.concatenate([remainder, self._order[:self._position]])
        return self.images[taken], self.labels[taken]


def input_data_module(data_dir):
    """A stand-in for tensorflow.examples.tutorials.mnist.input_data reading data_dir."""
    module = types.ModuleType("tensorflow.examples.tutorials.mnist.input_data")

    def read_data_sets(train_dir, one_hot=False, **_ignored):
        if not one_hot:
            raise NotImplementedError("this runner gives one-hot labels only (the program asks for them)")
        data = mnist_idx.load_dataset(data_dir)
        return types.SimpleNamespace(train=DataSet(data.train),
                                     validation=DataSet(data.validation),
                                     test=DataSet(data.test))

    module.read_data_sets = read_data_sets
    return module


def install_tf1(data_dir):
    """Makes `import tensorflow` give TF1's API and provides the tutorials' input_data."""
    tf1 = tfsetup.tf.compat.v1
    tf1.disable_v2_behavior()
    sys.modules["tensorflow"] = tf1
    names = ["tensorflow.examples", "tensorflow.examples.tutorials",
             "tensorflow.examples.tutorials.mnist"]
    parent = tf1
    for name in names:
        package = types.ModuleType(name)
        package.__path__ = []
        sys.modules[name] = package
        setattr(parent, name.rsplit(".", 1)[1], package)
        parent = package
    input_data = input_data_module(data_dir)
    sys.modules[input_data.__name__] = input_data
    parent.input_data = input_data


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Runs shared/seed/seed_program.py unmodified on TensorFlow 2.18 through "
                    "tf.compat.v1, reading MNIST from --data-dir.")
    p.add_argument("--program", default=DEFAULT_PROGRAM,
                   help="the original program (default: ../shared/seed/seed_program.py beside "
                        "the project)")
    p.add_argument("--data-dir", default=mnist_idx.default_data_dir(),
                   help="the four MNIST files, .gz or raw (default: $MNIST_DIR, else data/mnist)")
    args = p.parse_args(argv)
    program = os.path.normpath(args.program)
    if not os.path.isfile(program):
        print("run_seed_program: error: %s: no such file (the original program; give --program)"
              % program, file=sys.stderr)
        return 2
    try:
        mnist_idx.load_test(args.data_dir)  # fail in one line before TensorFlow starts
    except mnist_idx.MnistFormatError as e:
        print("run_seed_program: error: %s" % e, file=sys.stderr)
        return 2
    tfsetup.quiet()
    install_tf1(args.data_dir)
    runpy.run_path(program, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
