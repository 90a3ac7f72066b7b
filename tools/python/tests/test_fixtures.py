"""The committed fixtures (savedmodel/python-tf1, savedmodel/python-keras) are what their manifests
say, reload in Python with the recorded outputs, and the check scripts work on them.

Needs TensorFlow (setup-venv's python) and MNIST ($MNIST_DIR, else data/mnist; fails without it).
"""

import json
import os
import subprocess
import sys
import tempfile
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, TOOLS)

import numpy as np  # noqa: E402

import make_fixtures  # noqa: E402
import mnist_idx  # noqa: E402
import savedmodel_util  # noqa: E402
import tfsetup  # noqa: E402
import train_tf1  # noqa: E402

tf = tfsetup.tf
REPO = make_fixtures.REPO
FIXTURES = {name: os.path.join(REPO, f["dir"]) for name, f in make_fixtures.FIXTURES.items()}


def data_dir():
    return mnist_idx.default_data_dir()


def run_tool(script, *args):
    return subprocess.run([sys.executable, os.path.join(TOOLS, script), *args], cwd=REPO,
                          capture_output=True, text=True, env=tfsetup.child_environment())


class FixtureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tfsetup.quiet()
        cls.test = mnist_idx.load_test(data_dir())

    def check_fixture(self, name, expected_input, expected_shape):
        base = FIXTURES[name]
        model_dir = os.path.join(base, "1")
        with open(os.path.join(base, "manifest.json")) as f:
            manifest = json.load(f)
        with open(os.path.join(base, "first100_probabilities.json")) as f:
            first = json.load(f)

        # every file of the SavedModel, and only those, with the recorded sha256
        self.assertEqual(make_fixtures.model_files(model_dir), manifest["files"])
        self.assertLessEqual(make_fixtures.model_size(model_dir), make_fixtures.MAX_MODEL_BYTES)
        self.assertEqual(len(make_fixtures.check_inference_only(model_dir)), 8)
        self.assertEqual(manifest["tensorflow_version"], "2.18.0")
        self.assertEqual((manifest["steps"], manifest["batch_size"], manifest["seed"]),
                         (1000, 100, 1))
        self.assertGreaterEqual(manifest["test_accuracy"], 0.96)

        signature = savedmodel_util.Signature(savedmodel_util.resolve(base))
        self.assertEqual(signature.input_key, expected_input)
        self.assertEqual(signature.input_shape(), expected_shape)
        self.assertEqual((first["signature"], first["input"], first["output"],
                          first["input_shape"]),
                         ("serving_default", expected_input, "probabilities", expected_shape))
        probabilities = signature.predict(self.test.images)
        recorded = np.array(first["probabilities"], dtype=np.float32)
        self.assertEqual(recorded.shape, (100, 10))
        # recorded on one CPU model; another rounds differently (make_fixtures.CROSS_CPU)
        tolerance = manifest["cross_cpu"]
        np.testing.assert_allclose(probabilities[:100], recorded, rtol=0,
                                   atol=tolerance["probability_atol"])
        correct = int(np.sum(np.argmax(probabilities, axis=1) == self.test.digits))
        self.assertLessEqual(abs(correct - manifest["test_correct"]),
                             tolerance["test_correct_delta"])
        self.assertEqual(round(manifest["test_correct"] / self.test.count, 4),
                         manifest["test_accuracy"])
        return probabilities

    def check_session_loader(self, name):
        """Loaded the way TensorFlow Java's SavedModelBundle and TF Serving load (C++
        LoadSavedModel: restore op + signature tensors in a session), the fixture still gives the
        recorded probabilities."""
        base = FIXTURES[name]
        with open(os.path.join(base, "first100_probabilities.json")) as f:
            first = json.load(f)
        with open(os.path.join(base, "manifest.json")) as f:
            atol = json.load(f)["cross_cpu"]["probability_atol"]
        images = self.test.images[:100].reshape([-1] + first["input_shape"][1:])
        tf1 = tf.compat.v1
        with tf.Graph().as_default(), tf1.Session() as session:
            meta = tf1.saved_model.loader.load(session, ["serve"], os.path.join(base, "1"))
            signature = meta.signature_def[first["signature"]]
            probabilities = session.run(signature.outputs[first["output"]].name,
                                        {signature.inputs[first["input"]].name: images})
        np.testing.assert_allclose(probabilities, np.array(first["probabilities"], np.float32),
                                   rtol=0, atol=atol)

    def test_tf1_fixture_in_a_session_loader(self):
        self.check_session_loader("tf1")

    def test_keras_fixture_in_a_session_loader(self):
        self.check_session_loader("keras")

    def test_tf1_fixture(self):
        self.check_fixture("tf1", "xs", [-1, 784])

    def test_keras_fixture(self):
        self.check_fixture("keras", "images", [-1, 28, 28, 1])

    def test_check_java_savedmodel_agrees_and_refuses(self):
        # The keras fixture as "Java's" model: a base directory and a non-flat input.
        signature = savedmodel_util.Signature(os.path.join(FIXTURES["keras"], "1"))
        probabilities = signature.predict(self.test.images).astype(np.float32)
        with tempfile.TemporaryDirectory() as tmp:
            same = os.path.join(tmp, "same.npy")
            np.save(same, probabilities)
            result = run_tool("check_java_savedmodel.py", "--model", FIXTURES["keras"],
                              "--data-dir", data_dir(), "--java-probabilities", same)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertEqual(result.stdout.splitlines()[-1],
                             "max abs difference 0 (10000 images)")
            off = os.path.join(tmp, "off.npy")
            shifted = probabilities.copy()
            shifted[1234, 3] += 3e-5
            np.save(off, shifted)
            result = run_tool("check_java_savedmodel.py", "--model", FIXTURES["keras"],
                              "--data-dir", data_dir(), "--java-probabilities", off)
            self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
            self.assertIn("test image 1234", result.stdout)
            self.assertRegex(result.stdout.splitlines()[-1],
                             r"^max abs difference 3e-05 \(10000 images\)$")
            result = run_tool("check_java_savedmodel.py", "--model", tmp,
                              "--data-dir", data_dir(), "--java-probabilities", same)
            self.assertEqual(result.returncode, 1)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)

    def test_check_java_checkpoint_restores_the_tf1_fixture(self):
        prefix = os.path.join(FIXTURES["tf1"], "1", "variables", "variables")
        result = run_tool("check_java_checkpoint.py", "--checkpoint", prefix,
                          "--data-dir", data_dir())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("restored 8 model variables", result.stdout)
        with open(os.path.join(FIXTURES["tf1"], "manifest.json")) as f:
            accuracy = json.load(f)["test_accuracy"]
        self.assertIn("test accuracy %.4f (10000 images)" % accuracy, result.stdout)
        result = run_tool("check_java_checkpoint.py", "--checkpoint", prefix + "-missing",
                          "--data-dir", data_dir())
        self.assertEqual(result.returncode, 1)
        self.assertIn("no TF checkpoint there", result.stderr)


class ParityTest(unittest.TestCase):
    """parity.json's 20 losses are what train_tf1.py computes from the python-tf1 weights."""

    def test_parity_losses_reproduce(self):
        with open(os.path.join(FIXTURES["tf1"], "parity.json")) as f:
            parity = json.load(f)
        self.assertEqual(parity["init_from"], "savedmodel/python-tf1/1/variables/variables")
        self.assertEqual(len(parity["losses"]), 20)
        data = mnist_idx.load_dataset(data_dir())
        args = types.SimpleNamespace(
            seed=parity["seed"], learning_rate=parity["learning_rate"], loss="original",
            keep_prob=parity["keep_prob"], batch_size=parity["batch_size"], steps=20,
            eval_every=1000, init_from=os.path.join(REPO, parity["init_from"]),
            save_initial=None, save_final=None, export_dir=None, intra_op_threads=0,
            inter_op_threads=0)
        with open(os.devnull, "w") as quiet:
            _, losses, _ = train_tf1.train(args, data, out=quiet)
        # parity.json was made on one CPU model; others round differently (see make_fixtures).
        tolerance = parity["cross_cpu_rtol"]
        losses = np.array(losses, dtype=np.float64)
        np.testing.assert_allclose(losses[:1], parity["losses"][:1],
                                   rtol=tolerance["first_step"], atol=0)
        np.testing.assert_allclose(losses, parity["losses"], rtol=tolerance["all_steps"], atol=0)


if __name__ == "__main__":
    unittest.main()
