"""run_seed_program.py: TF1's input_data stand-in and a TF1-style program run through it.

The bench runs the real seed_program.py (a whole job, ~45 s); here a short program written in the
same TF1 style shows the runner gives it `import tensorflow` as TF1 and the tutorials' input_data
over real MNIST ($MNIST_DIR, else data/mnist).
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import types
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import mnist_idx  # noqa: E402

RUNNER = os.path.join(HERE, "..", "run_seed_program.py")


def load_runner():
    # Its DataSet only: importing it installs nothing (main() does that, in a child below).
    import importlib.util
    spec = importlib.util.spec_from_file_location("runner_under_test", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class NextBatchTest(unittest.TestCase):
    def setUp(self):
        self.runner = load_runner()
        images = np.arange(7 * 784, dtype=np.float32).reshape(7, 784)
        labels = np.eye(10, dtype=np.float32)[np.arange(7) % 10]
        self.split = types.SimpleNamespace(images=images, labels=labels, count=7)

    def rows(self, batch):
        return [int(row[0]) // 784 for row in batch[0]]

    def test_each_epoch_is_a_permutation_and_a_straddling_batch_joins_two_epochs(self):
        np.random.seed(3)
        data = self.runner.DataSet(self.split)
        first = self.rows(data.next_batch(3)) + self.rows(data.next_batch(3))
        self.assertEqual(len(set(first)), 6)
        straddling = self.rows(data.next_batch(3))   # the 7th image, then 2 of the next epoch
        self.assertEqual(data.epochs_completed, 1)
        epoch1 = first + straddling[:1]
        self.assertEqual(sorted(epoch1), list(range(7)))
        epoch2 = straddling[1:] + self.rows(data.next_batch(5))
        self.assertEqual(sorted(epoch2), list(range(7)))
        self.assertEqual(data.epochs_completed, 1)

    def test_labels_travel_with_their_images(self):
        data = self.runner.DataSet(self.split)
        for _ in range(5):
            images, labels = data.next_batch(4)
            for image, label in zip(images, labels):
                self.assertEqual(int(np.argmax(label)), (int(image[0]) // 784) % 10)


class RunsATf1ProgramTest(unittest.TestCase):
    def test_tf1_program_gets_tensorflow_as_tf1_and_mnist_with_tf1s_split(self):
        program = textwrap.dedent("""\
            from tensorflow.examples.tutorials.mnist import input_data
            import tensorflow as tf
            mnist = input_data.read_data_sets('MNIST_data', one_hot=True)
            print(mnist.train.images.shape, mnist.validation.images.shape, mnist.test.labels.shape)
            xs = tf.placeholder(tf.float32, [None, 784])
            total = tf.reduce_sum(xs, reduction_indices=[1])
            sess = tf.Session()
            batch_xs, batch_ys = mnist.train.next_batch(100)
            print(sess.run(total, feed_dict={xs: batch_xs}).shape, batch_ys.sum())
            """)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "program.py")
            with open(path, "w") as f:
                f.write(program)
            done = subprocess.run(
                [sys.executable, RUNNER, "--program", path, "--data-dir",
                 mnist_idx.default_data_dir()], cwd=tmp, capture_output=True, text=True,
                timeout=300)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout.splitlines(),
                             ["(55000, 784) (5000, 784) (10000, 10)", "(100,) 100.0"])
            self.assertFalse(os.path.exists(os.path.join(tmp, "MNIST_data")),
                             "the runner must read --data-dir, never download")

    def test_a_missing_program_is_one_line_and_exit_2(self):
        done = subprocess.run([sys.executable, RUNNER, "--program", "/nonexistent/seed.py"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stderr.strip().splitlines(),
                         ["run_seed_program: error: /nonexistent/seed.py: no such file "
                          "(the original program; give --program)"])


if __name__ == "__main__":
    unittest.main()
