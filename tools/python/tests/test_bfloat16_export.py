"""TrainMnist --precision mixed_bfloat16 exports a float32 SavedModel that Python loads.

oneDNN's bfloat16 rewrite changes the arithmetic of the training session only: the variables stay
float32, so the export is the same kind of model a float32 run writes. This trains a short run in
mixed_bfloat16 through Maven, as a user runs it, loads the export with tf.saved_model.load and
checks its variables and signature are float32 and that Python's accuracy on the 10,000 test images
(in float32) is within bfloat16's rounding of the accuracy Java printed (computed in bfloat16).
"""

import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tfsetup  # noqa: E402  (first: quiets TensorFlow before it loads)
import mnist_idx  # noqa: E402
import savedmodel_util  # noqa: E402
from test_tensorboard_logdir import MNIST, train_mnist  # noqa: E402

import numpy as np  # noqa: E402

tf = tfsetup.tf


class Bfloat16ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(MNIST):
            raise AssertionError("MNIST directory %s not found (set MNIST_DIR)" % MNIST)
        cls.tmp = tempfile.mkdtemp(prefix="bf16-export-")
        cls.output = train_mnist("--steps", "60", "--eval-every", "30", "--progress", "none",
                                 "--precision", "mixed_bfloat16", "--data-dir", MNIST,
                                 "--export-dir", os.path.join(cls.tmp, "export"))
        match = re.search(r"^SavedModel written to (.+)$", cls.output, re.M)
        if not match:
            raise AssertionError("no 'SavedModel written to' line:\n" + cls.output)
        cls.export = match.group(1).strip()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_device_line_names_the_precision(self):
        line = re.search(r"^Running on: .*$", self.output, re.M).group(0)
        self.assertRegex(line, r"CPU build, (mixed_bfloat16 \(|float32: mixed_bfloat16 requested)")

    def test_python_loads_a_float32_model_with_javas_accuracy(self):
        signature = savedmodel_util.Signature(self.export)
        reader = tf.train.load_checkpoint(os.path.join(self.export, "variables", "variables"))
        dtypes = reader.get_variable_to_dtype_map()
        self.assertIn("conv1/weights", dtypes)
        for name, dtype in dtypes.items():
            self.assertEqual(tf.float32, dtype, name)
        self.assertEqual(tf.float32, signature.outputs[signature.probabilities_key()].dtype)
        test = mnist_idx.load_test(MNIST)
        predicted = signature.predict(test.images).argmax(axis=1)
        accuracy = float(np.mean(predicted == test.digits))
        printed = float(re.search(r"^final test accuracy (\d\.\d{4})$", self.output, re.M).group(1))
        self.assertLess(abs(accuracy - printed), 0.005,
                        "Python float32 %.4f vs Java's mixed_bfloat16 %.4f" % (accuracy, printed))


if __name__ == "__main__":
    unittest.main()
