"""compare_with_java.py runs the Java loader (ServeMnist over loopback) and Python on the same
inputs: test images for image signatures, seeded random values otherwise, and says where they
disagree.

Needs TensorFlow (setup-venv's python), Java 17 and Maven (it builds and runs the Java side), and
MNIST ($MNIST_DIR, else data/mnist; fails without it).
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, TOOLS)

import compare_with_java  # noqa: E402
import tfsetup  # noqa: E402

tf = tfsetup.tf
SCRIPT = os.path.join(TOOLS, "compare_with_java.py")
REPO = compare_with_java.ROOT


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], cwd=REPO, capture_output=True,
                          text=True, env=tfsetup.child_environment())


class Mixed(tf.Module):
    """Not an image model: two inputs of other dtypes, and one output that is random each call."""

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x"),
                                  tf.TensorSpec([None], tf.int64, name="n")])
    def serve(self, x, n):
        return {"doubled": x * 2.0, "next": n + 1,
                "noise": tf.random.uniform(tf.shape(x))}


class CompareWithJavaTest(unittest.TestCase):
    def test_a_keras3_model_inside_a_tf_module_agrees_on_every_signature(self):
        result = run("--model", os.path.join(REPO, "savedmodel", "keras-module"), "--count", "50")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        self.assertIn("pixels/probabilities float32 [50, 10]: max abs difference 0 (test images)",
                      lines)
        self.assertIn("serving_default/classes int64 [50]: 0 of 50 values differ (test images)",
                      lines)
        self.assertEqual(lines[-1], "max abs difference 0 (3 outputs of 2 signatures, "
                                    "tolerance 1e-05)")

    def test_other_inputs_get_seeded_random_values_and_a_disagreement_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "1")
            module = Mixed()
            tf.saved_model.save(module, model, signatures={"serving_default": module.serve})
            result = run("--model", model, "--count", "7")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        self.assertIn("serving_default/doubled float32 [7, 3]: max abs difference 0 "
                      "(seeded random values)", lines)
        self.assertIn("serving_default/next int64 [7]: 0 of 7 values differ (seeded random "
                      "values)", lines)
        noise = [line for line in lines if line.startswith("serving_default/noise ")]
        self.assertEqual(len(noise), 1, result.stdout)
        self.assertTrue(noise[0].endswith("  FAIL"), noise[0])

    def test_a_custom_op_library_is_loaded_on_both_sides(self):
        # tensorflow-text 2.18's NormalizeUTF8, from its PyPI wheel (the package, not its deps)
        with tempfile.TemporaryDirectory() as tmp:
            wheels = os.path.join(tmp, "wheels")
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                            "--disable-pip-version-check", "-d", wheels,
                            "tensorflow-text==2.18.1"], check=True, capture_output=True)
            site = os.path.join(tmp, "site")
            wheel = [f for f in os.listdir(wheels) if f.endswith(".whl")][0]
            import zipfile
            zipfile.ZipFile(os.path.join(wheels, wheel)).extractall(site)
            library = os.path.join(site, "tensorflow_text", "python", "ops", "_normalize_ops.so")
            model = os.path.join(tmp, "text", "1")
            build = ("import sys; sys.path.insert(0, %r)\n"
                     "import tensorflow as tf, tensorflow_text as text\n"
                     "class M(tf.Module):\n"
                     "    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.string)])\n"
                     "    def serve(self, words):\n"
                     "        return {'nfc': text.normalize_utf8(words, 'NFC')}\n"
                     "m = M(); tf.saved_model.save(m, %r, signatures={'serving_default': m.serve})\n"
                     % (site, model))
            subprocess.run([sys.executable, "-c", build], check=True, capture_output=True,
                           env=tfsetup.child_environment())

            without = run("--model", model, "--count", "5")
            self.assertEqual(without.returncode, 1, without.stdout + without.stderr)
            self.assertEqual(len(without.stderr.strip().splitlines()), 1, without.stderr)
            self.assertIn("NormalizeUTF8", without.stderr)

            result = run("--model", model, "--count", "5", "--load-library", library)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("serving_default/nfc object [5, 2]: 0 of 10 values differ "
                      "(seeded random values)", result.stdout.splitlines())

    def test_a_directory_that_is_no_model_is_one_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = run("--model", tmp)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("compare_with_java.py: error: ", result.stderr)
        self.assertEqual(run("--model", tmp, "--tolerance", "-1").returncode, 2)


if __name__ == "__main__":
    unittest.main()
