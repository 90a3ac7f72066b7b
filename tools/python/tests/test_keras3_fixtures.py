"""The Keras 3 fixtures (savedmodel/keras-export, keras-module, keras-uint8, keras-two-signatures)
are what their manifests say, reload in Python with the recorded outputs and accuracy, and
make_keras3_fixtures.py behaves on its command line.

Needs TensorFlow (setup-venv's python) and MNIST ($MNIST_DIR, else data/mnist; fails without it).
"""

import json
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, TOOLS)

import numpy as np  # noqa: E402

import make_fixtures  # noqa: E402
import make_keras3_fixtures as k3  # noqa: E402
import mnist_idx  # noqa: E402
import tfsetup  # noqa: E402

tf = tfsetup.tf
REPO = k3.REPO
NAMES = list(k3.FIXTURES)
SCRIPT = os.path.join(TOOLS, "make_keras3_fixtures.py")


def data_dir():
    return mnist_idx.default_data_dir()


def fixture_dir(name):
    return os.path.join(REPO, "savedmodel", name)


def read_json(name, file_name):
    with open(os.path.join(fixture_dir(name), file_name)) as f:
        return json.load(f)


def pinned_versions():
    """{package: version} of requirements.txt."""
    pins = {}
    with open(os.path.join(TOOLS, "requirements.txt")) as f:
        for line in f:
            match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
            if match:
                pins[match.group(1).lower()] = match.group(2)
    return pins


def run_script(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], cwd=REPO, capture_output=True,
                          text=True, env=tfsetup.child_environment())


class Keras3FixtureTest(unittest.TestCase):
    loaded = {}
    _mnist = None

    @classmethod
    def setUpClass(cls):
        tfsetup.quiet()

    @property
    def mnist(self):
        """The test images, read once; every test that needs them fails (FixtureError) without
        MNIST, each counted on its own."""
        if Keras3FixtureTest._mnist is None:
            Keras3FixtureTest._mnist = k3.Mnist(data_dir(), train=False)
        return Keras3FixtureTest._mnist

    def load(self, name):
        if name not in self.loaded:
            self.loaded[name] = tf.saved_model.load(os.path.join(fixture_dir(name), k3.VERSION))
        return self.loaded[name]

    # -- manifest.json and the files -------------------------------------------------------------

    def check_manifest(self, name):
        base = fixture_dir(name)
        model_dir = os.path.join(base, k3.VERSION)
        manifest = read_json(name, "manifest.json")
        first = read_json(name, "first100_outputs.json")

        # beside the version directory only the two JSON files (no leftover temporary files)
        self.assertEqual(sorted(os.listdir(base)),
                         [k3.VERSION, "first100_outputs.json", "manifest.json"])
        # every file of the SavedModel, and only those, with the recorded sha256
        self.assertEqual(make_fixtures.model_files(model_dir), manifest["files"])
        self.assertIn("saved_model.pb", manifest["files"])
        size = make_fixtures.model_size(model_dir)
        self.assertEqual(size, manifest["size_bytes"])
        self.assertLess(size, 2_000_000)

        pins = pinned_versions()
        self.assertEqual(manifest["tensorflow_version"], "2.18.0")
        self.assertEqual(manifest["tensorflow_version"], tf.__version__)
        self.assertEqual(manifest["keras_version"], pins["keras"])
        self.assertTrue(manifest["keras_version"].startswith("3."), manifest["keras_version"])
        self.assertEqual(manifest["numpy_version"], pins["numpy"])
        self.assertRegex(manifest["python_version"], r"^3\.11\.\d+$")

        self.assertEqual(manifest["fixture"], "savedmodel/%s/%s" % (name, k3.VERSION))
        self.assertEqual(manifest["made_with"], k3.FIXTURES[name]["made_with"])
        self.assertRegex(manifest["command"],
                         r"^\S*python\S* tools/python/make_keras3_fixtures.py make( |$)")
        self.assertEqual((manifest["seed"], manifest["epochs"], manifest["batch_size"],
                          manifest["train_images"]), (1, k3.EPOCHS, k3.BATCH_SIZE, 55000))
        self.assertEqual(len(manifest["training_output"]), k3.EPOCHS)
        self.assertEqual(manifest["cross_cpu"], {"probability_atol": 1e-4,
                                                 "test_correct_delta": 3})
        self.assertTrue(manifest["cpu"])
        self.assertEqual(manifest["test_images"], 10000)
        self.assertEqual(manifest["test_accuracy"],
                         round(manifest["test_correct"] / manifest["test_images"], 4))
        self.assertGreaterEqual(manifest["test_accuracy"], 0.95)
        self.assertEqual(manifest["signatures"], k3.expected_specs(name))
        self.assertEqual([name for name, _ in manifest["checkpoint_variables"]],
                         [name for name, _ in k3.checkpoint_variables(model_dir)])

        # first100_outputs.json: every signature, only outputs (never the images), 100 rows each
        self.assertEqual(sorted(first["signatures"]), sorted(manifest["signatures"]))
        self.assertEqual(first["fixture"], manifest["fixture"])
        for signature, recorded in first["signatures"].items():
            spec = manifest["signatures"][signature]
            self.assertEqual(sorted(recorded),
                             ["input", "input_dtype", "input_form", "input_shape", "outputs"])
            (key, input_spec), = spec["inputs"].items()
            self.assertEqual((recorded["input"], recorded["input_dtype"], recorded["input_shape"]),
                             (key, input_spec["dtype"], input_spec["shape"]))
            self.assertEqual(recorded["input_form"], k3.INPUT_FORMS[input_spec["dtype"]])
            self.assertEqual(sorted(recorded["outputs"]), sorted(spec["outputs"]))
            for out_key, values in recorded["outputs"].items():
                shape = [k3.FIRST_N] + spec["outputs"][out_key]["shape"][1:]
                self.assertEqual(list(np.array(values).shape), shape, (signature, out_key))

    # -- reloaded with tf.saved_model.load -------------------------------------------------------

    def check_outputs(self, name):
        manifest = read_json(name, "manifest.json")
        first = read_json(name, "first100_outputs.json")
        loaded = self.load(name)
        self.assertEqual(k3.signature_specs(loaded), manifest["signatures"])
        atol = manifest["cross_cpu"]["probability_atol"]
        key = k3.probabilities_key(manifest["signatures"])
        reference = np.array(first["signatures"]["serving_default"]["outputs"][key], np.float32)
        images = self.mnist.test_images[:k3.FIRST_N]
        for signature, recorded in first["signatures"].items():
            actual = k3.run_signature(loaded, signature, images)
            self.assertEqual(k3.compare_outputs(recorded["outputs"], actual, atol, reference), [],
                             signature)
            for out_key, values in recorded["outputs"].items():
                if actual[out_key].dtype.kind == "f":  # the same check, spelled out
                    np.testing.assert_allclose(actual[out_key], np.array(values, np.float32),
                                               rtol=0, atol=atol)

    def check_accuracy(self, name):
        manifest = read_json(name, "manifest.json")
        loaded = self.load(name)
        key = k3.probabilities_key(manifest["signatures"])
        probabilities = k3.run_signature(loaded, "serving_default", self.mnist.test_images)[key]
        self.assertEqual(probabilities.shape, (10000, 10))
        correct = int(np.sum(np.argmax(probabilities, axis=1) == self.mnist.test_digits))
        self.assertLessEqual(abs(correct - manifest["test_correct"]),
                             manifest["cross_cpu"]["test_correct_delta"],
                             "%d correct, manifest %d" % (correct, manifest["test_correct"]))
        self.assertGreaterEqual(correct, 9500)

    def test_keras_export_manifest(self):
        self.check_manifest("keras-export")

    def test_keras_module_manifest(self):
        self.check_manifest("keras-module")

    def test_keras_uint8_manifest(self):
        self.check_manifest("keras-uint8")

    def test_keras_two_signatures_manifest(self):
        self.check_manifest("keras-two-signatures")

    def test_keras_export_outputs(self):
        self.check_outputs("keras-export")

    def test_keras_module_outputs(self):
        self.check_outputs("keras-module")

    def test_keras_uint8_outputs(self):
        self.check_outputs("keras-uint8")

    def test_keras_two_signatures_outputs(self):
        self.check_outputs("keras-two-signatures")

    def test_keras_export_accuracy(self):
        self.check_accuracy("keras-export")

    def test_keras_module_accuracy(self):
        self.check_accuracy("keras-module")  # through PNG bytes

    def test_keras_uint8_accuracy(self):
        self.check_accuracy("keras-uint8")

    def test_keras_two_signatures_accuracy(self):
        self.check_accuracy("keras-two-signatures")

    def test_signatures_of_one_fixture_agree(self):
        """keras-module's PNG and pixels signatures, keras-two-signatures' classify and
        serving_default, keras-export's serve and serving_default give the same answers."""
        images = self.mnist.test_images[:k3.FIRST_N]
        for name in ("keras-export", "keras-module", "keras-two-signatures"):
            loaded = self.load(name)
            outputs = {s: k3.run_signature(loaded, s, images) for s in loaded.signatures}
            k3.check_consistent(name, outputs)  # raises FixtureError otherwise

    # -- a session-based loader (C++ LoadSavedModel, as TensorFlow Java's SavedModelBundle) --------

    def test_session_loader_as_recorded(self):
        """keras-module is made so that session-based loaders fail on it (each Keras 3 variable
        twice in the graph, only one restored); the three ExportArchive fixtures load there and
        give the recorded outputs."""
        tf1 = tf.compat.v1
        for name in NAMES:
            manifest = read_json(name, "manifest.json")
            first = read_json(name, "first100_outputs.json")
            restores, error = k3.session_loader_restores(
                os.path.join(fixture_dir(name), k3.VERSION), manifest["signatures"])
            self.assertEqual(restores, manifest["session_loader"]["restores"], name)
            self.assertEqual(restores, name != "keras-module", name)
            if not restores:
                self.assertRegex(error, r"^Could not find variable ")
                continue
            atol = manifest["cross_cpu"]["probability_atol"]
            key = k3.probabilities_key(manifest["signatures"])
            reference = np.array(first["signatures"]["serving_default"]["outputs"][key],
                                 np.float32)
            for signature, recorded in first["signatures"].items():
                feed = k3.model_inputs(self.mnist.test_images[:k3.FIRST_N],
                                       recorded["input_dtype"], recorded["input_shape"][1:])
                with tf.Graph().as_default(), tf1.Session() as session:
                    meta = tf1.saved_model.loader.load(
                        session, ["serve"], os.path.join(fixture_dir(name), k3.VERSION))
                    sig = meta.signature_def[signature]
                    actual = session.run({k: v.name for k, v in sig.outputs.items()},
                                         {sig.inputs[recorded["input"]].name: feed})
                self.assertEqual(k3.compare_outputs(recorded["outputs"], actual, atol,
                                                    reference), [], (name, signature))

    # -- the comparison itself -------------------------------------------------------------------

    def test_compare_outputs_finds_differences(self):
        # image 0 is clearly a 0; image 1 is a tie between 0 and 1 (another CPU may pick either)
        recorded = {"probabilities": [[0.91] + [0.01] * 9, [0.5, 0.5] + [0.0] * 8],
                    "classes": [0, 0]}
        probabilities = np.array(recorded["probabilities"], np.float32)
        same = {"probabilities": probabilities, "classes": np.array([0, 0], np.int64)}
        self.assertEqual(k3.compare_outputs(recorded, same, 1e-4), [])
        off = probabilities.copy()
        off[1, 3] += 2e-4
        self.assertEqual(len(k3.compare_outputs(recorded, dict(same, probabilities=off), 1e-4)),
                         1)
        tie = dict(same, classes=np.array([0, 1], np.int64))
        self.assertEqual(k3.compare_outputs(recorded, tie, 1e-4), [])
        flipped = dict(same, classes=np.array([1, 0], np.int64))
        self.assertEqual(len(k3.compare_outputs(recorded, flipped, 1e-4)), 1)
        # classes only (as classify): ties are judged from the reference probabilities
        classes_only = {"classes": [0, 0]}
        self.assertEqual(k3.compare_outputs(classes_only, {"classes": np.array([0, 1])}, 1e-4,
                                            probabilities), [])
        self.assertEqual(len(k3.compare_outputs(classes_only, {"classes": np.array([1, 0])},
                                                1e-4, probabilities)), 1)
        self.assertEqual(len(k3.compare_outputs(recorded, {"classes": same["classes"]}, 1e-4)), 1)

    def test_outputs_json_floats_are_float32_shortest(self):
        for value in (np.float32(0.1), np.float32(9.476295e-07), np.float32(1.0),
                      np.float32(2.7793878e-13), np.float32(0.9999652)):
            text = k3.float32_text(value)
            self.assertEqual(np.float32(json.loads(text)), value)
            self.assertNotRegex(text, r"e[+-]?0")
        self.assertEqual(k3.float32_text(np.float32(0.1)), "0.1")
        for name in NAMES:
            with open(os.path.join(fixture_dir(name), "first100_outputs.json")) as f:
                text = f.read()
            numbers = re.findall(r"(?<![\w.])(\d+(?:\.\d+)?e-?\d+|\d+\.\d+)", text)
            self.assertGreater(len(numbers), 100, name)
            for number in numbers:  # float32's shortest repr needs at most 9 digits
                digits = number.split("e")[0].replace(".", "").lstrip("0")
                self.assertLessEqual(len(digits), 9, (name, number))
                self.assertEqual(k3.float32_text(float(number)), number, (name, number))

    # -- the command line ------------------------------------------------------------------------

    def test_help(self):
        result = run_script("--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("usage: make_keras3_fixtures.py", result.stdout)
        for name in NAMES:
            self.assertIn(name, result.stdout)

    def test_make_refuses_to_overwrite(self):
        result = run_script("make", "keras-uint8", "--data-dir", data_dir())
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(result.stderr.strip().splitlines(), [
            "make_keras3_fixtures.py: error: savedmodel/keras-uint8/1 exists: remove "
            "savedmodel/keras-uint8 first to remake the fixture"])

    def test_user_errors_are_one_line(self):
        result = run_script("check", "keras-uint8", "--data-dir",
                            os.path.join(REPO, "no-such-mnist"))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("MNIST directory not found", result.stderr)
        result = run_script("check", "keras-nothing")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown fixture keras-nothing", result.stderr)

    def test_check_command(self):
        result = run_script("check", "keras-two-signatures", "--data-dir", data_dir())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"(?m)^keras-two-signatures: ok: ")


if __name__ == "__main__":
    unittest.main()
