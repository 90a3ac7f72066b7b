"""TensorFlow Serving's own Python client (PyPI tensorflow-serving-api) sending Classify, Regress
and MultiInference to ServeMnist over loopback, for a SavedModel made here the way Estimators
exported them for TF Serving: TF1 graph, serialized tf.Example input, `classification_signature_def`
and `regression_signature_def`.

ServeMnist's answers are compared with Python TensorFlow running the same signatures on the same
serialized examples. Needs TensorFlow and tensorflow-serving-api (setup-venv's python), Java 17 and
Maven, and MNIST ($MNIST_DIR, else data/mnist; fails without it).
"""

import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, TOOLS)

import compare_with_java  # noqa: E402
import mnist_idx  # noqa: E402
import tfsetup  # noqa: E402

import grpc  # noqa: E402
import numpy as np  # noqa: E402
from tensorflow.core.example import example_pb2  # noqa: E402
from tensorflow_serving.apis import classification_pb2  # noqa: E402
from tensorflow_serving.apis import inference_pb2  # noqa: E402
from tensorflow_serving.apis import model_pb2  # noqa: E402
from tensorflow_serving.apis import prediction_service_pb2_grpc  # noqa: E402
from tensorflow_serving.apis import regression_pb2  # noqa: E402

tf = tfsetup.tf
NAME = "estimator"
COUNT = 50
TIMEOUT = 120  # seconds, per call
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"


def export_estimator_style_model(export_dir):
    """A linear MNIST scorer behind tf.Example inputs (feature `pixels`, 784 floats), with the
    signatures an Estimator exported: `serving_default` classifies (classes "0".."9", scores),
    `regress` answers the arg max as a float."""
    graph = tf.Graph()
    with graph.as_default():
        serialized = tf.compat.v1.placeholder(tf.string, [None], name="input_example_tensor")
        features = tf.io.parse_example(
            serialized, {"pixels": tf.io.FixedLenFeature([784], tf.float32)})
        weights = tf.compat.v1.get_variable(
            "weights", initializer=np.random.RandomState(7).normal(
                scale=0.05, size=(784, 10)).astype(np.float32))
        logits = tf.matmul(features["pixels"], weights)
        scores = tf.nn.softmax(logits)
        labels = tf.constant([[str(d).encode() for d in range(10)]])
        classes = tf.tile(labels, [tf.shape(serialized)[0], 1])
        value = tf.cast(tf.argmax(logits, axis=1), tf.float32)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            builder = tf.compat.v1.saved_model.Builder(export_dir)
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map={
                "serving_default": tf.compat.v1.saved_model.classification_signature_def(
                    serialized, classes, scores),
                "regress": tf.compat.v1.saved_model.regression_signature_def(serialized, value),
            })
            builder.save()


def example(pixels):
    message = example_pb2.Example()
    message.features.feature["pixels"].float_list.value.extend(pixels.tolist())
    return message


class TfServingExampleTasksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="estimator-model-")
        version = os.path.join(cls.work, NAME, "1")
        export_estimator_style_model(version)
        test = mnist_idx.load_test(mnist_idx.default_data_dir())
        cls.examples = [example(image) for image in test.images[:COUNT]]
        serialized = tf.constant([e.SerializeToString() for e in cls.examples])
        # Python TensorFlow on the same SavedModel and examples: what ServeMnist must answer
        signatures = tf.saved_model.load(version, tags=["serve"]).signatures
        python = signatures["serving_default"](inputs=serialized)
        cls.python_scores = python["scores"].numpy()
        cls.python_classes = python["classes"].numpy()
        cls.python_values = signatures["regress"](inputs=serialized)["outputs"].numpy()
        cls.server = compare_with_java.JavaServer(
            os.path.join(cls.work, NAME), extra_args=["--name", NAME, "--grpc-port", "0"])
        cls.channel = grpc.insecure_channel(cls.server.grpc_target)
        cls.predictions = prediction_service_pb2_grpc.PredictionServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def spec(self, signature=""):
        return model_pb2.ModelSpec(name=NAME, signature_name=signature)

    def test_classify_gives_pythons_labels_and_scores_for_every_example(self):
        request = classification_pb2.ClassificationRequest(model_spec=self.spec())
        request.input.example_list.examples.extend(self.examples)
        response = self.predictions.Classify(request, timeout=TIMEOUT)
        self.assertEqual(response.model_spec.name, NAME)
        self.assertEqual(response.model_spec.signature_name, "serving_default")
        self.assertEqual(response.model_spec.version.value, 1)
        self.assertEqual(len(response.result.classifications), COUNT)
        for i, classifications in enumerate(response.result.classifications):
            labels = [c.label.encode() for c in classifications.classes]
            self.assertEqual(labels, list(self.python_classes[i]))
            scores = np.array([c.score for c in classifications.classes], dtype=np.float32)
            np.testing.assert_allclose(scores, self.python_scores[i], rtol=0, atol=1e-6)

    def test_regress_gives_pythons_value_for_every_example(self):
        request = regression_pb2.RegressionRequest(model_spec=self.spec("regress"))
        request.input.example_list.examples.extend(self.examples)
        response = self.predictions.Regress(request, timeout=TIMEOUT)
        values = np.array([r.value for r in response.result.regressions], dtype=np.float32)
        np.testing.assert_array_equal(values, self.python_values)

    def test_multi_inference_runs_both_signatures_on_the_same_examples(self):
        request = inference_pb2.MultiInferenceRequest()
        request.tasks.add(model_spec=self.spec(), method_name=CLASSIFY)
        request.tasks.add(model_spec=self.spec("regress"), method_name=REGRESS)
        request.input.example_list_with_context.examples.extend(self.examples[:10])
        request.input.example_list_with_context.context.CopyFrom(example_pb2.Example())
        response = self.predictions.MultiInference(request, timeout=TIMEOUT)
        self.assertEqual([r.model_spec.signature_name for r in response.results],
                         ["serving_default", "regress"])
        classified = response.results[0].classification_result.classifications
        best = [max(range(10), key=lambda c: cl.classes[c].score) for cl in classified]
        values = [r.value for r in response.results[1].regression_result.regressions]
        self.assertEqual([float(b) for b in best], values)
        np.testing.assert_array_equal(values, self.python_values[:10])

    def test_tf_servings_refusals(self):
        with self.subTest("a regression request on the classification signature"):
            request = regression_pb2.RegressionRequest(model_spec=self.spec())
            request.input.example_list.examples.extend(self.examples[:1])
            with self.assertRaises(grpc.RpcError) as caught:
                self.predictions.Regress(request, timeout=TIMEOUT)
            self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertEqual(caught.exception.details(), "Expected one output Tensor.")
        with self.subTest("no examples"):
            request = classification_pb2.ClassificationRequest(model_spec=self.spec())
            with self.assertRaises(grpc.RpcError) as caught:
                self.predictions.Classify(request, timeout=TIMEOUT)
            self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertEqual(caught.exception.details(), "Input is empty.")


if __name__ == "__main__":
    unittest.main()
