"""serve_fastapi.py, the Python server tools/bench compares ServeMnist with, answers TF Serving's
REST :predict as ServeMnist does: run as a process on a free loopback port, over real HTTP."""

import json
import os
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mnist_idx  # noqa: E402
import savedmodel_util  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODEL = os.path.join(ROOT, "savedmodel", "python-tf1")
MNIST = os.environ.get("MNIST_DIR") or os.path.join(ROOT, "data", "mnist")


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class ServeFastApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "serve_fastapi.py"), "--model", MODEL, "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.server.stdout.readline()
        if not line.startswith("Serving mnist at http://127.0.0.1:"):
            cls.server.kill()
            raise AssertionError("no 'Serving' line: %r; stderr: %s" % (line, cls.server.stderr.read()))
        cls.url = line.split(" at ", 1)[1].strip()

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)
        cls.server.stdout.close()
        cls.server.stderr.close()

    def test_predict_answers_as_tf_serving_does_with_the_models_own_classes(self):
        test = mnist_idx.load_test(MNIST)
        status, body = post(self.url + ":predict", {"instances": test.images[:3].tolist()})
        self.assertEqual(200, status, body)
        self.assertEqual(3, len(body["predictions"]))
        expected = savedmodel_util.Signature(MODEL + "/1").predict(test.images[:3]).argmax(axis=1)
        self.assertEqual(list(expected), [row["classes"] for row in body["predictions"]])
        self.assertEqual(10, len(body["predictions"][0]["probabilities"]))

    def test_other_models_and_bad_bodies_are_refused(self):
        self.assertEqual(404, post(self.url.replace("/mnist", "/other") + ":predict",
                                   {"instances": [[0.0] * 784]})[0])
        self.assertEqual(400, post(self.url + ":predict", {"instances": [[0.0] * 5]})[0])
        self.assertEqual(400, post(self.url + ":predict", {"inputs": []})[0])


if __name__ == "__main__":
    unittest.main()
