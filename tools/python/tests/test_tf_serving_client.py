"""TensorFlow Serving's own Python client (PyPI tensorflow-serving-api: grpc stubs and protos)
against ServeMnist's gRPC endpoint over loopback, serving the committed savedmodel/python-tf1.

One ServeMnist for the class (compare_with_java.JavaServer: `mvn compile exec:java@serve` with
--name, --grpc-port 0, no batching, no warm-up), stopped in tearDownClass. Predict's answers are
compared with Python TensorFlow running the same SavedModel; the errors are TF Serving's status
codes. Needs TensorFlow and tensorflow-serving-api (setup-venv's python), Java 17 and Maven, and
MNIST ($MNIST_DIR, else data/mnist; fails without it).
"""

import os
import socket
import subprocess
import sys
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
from tensorflow.core.framework import types_pb2  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402
from tensorflow_serving.apis import classification_pb2  # noqa: E402
from tensorflow_serving.apis import get_model_metadata_pb2  # noqa: E402
from tensorflow_serving.apis import get_model_status_pb2  # noqa: E402
from tensorflow_serving.apis import inference_pb2  # noqa: E402
from tensorflow_serving.apis import model_management_pb2  # noqa: E402
from tensorflow_serving.apis import model_pb2  # noqa: E402
from tensorflow_serving.apis import model_service_pb2_grpc  # noqa: E402
from tensorflow_serving.apis import predict_pb2  # noqa: E402
from tensorflow_serving.apis import prediction_service_pb2_grpc  # noqa: E402
from tensorflow_serving.apis import regression_pb2  # noqa: E402
from tensorflow_serving.config import model_server_config_pb2  # noqa: E402

tf = tfsetup.tf
REPO = compare_with_java.ROOT
CLIENT = os.path.join(TOOLS, "tf_serving_client.py")
MODEL_BASE = os.path.join(REPO, "savedmodel", "python-tf1")  # one version: 1
MODEL_DIR = os.path.join(MODEL_BASE, "1")
NAME = "tf1-mnist"  # not ServeMnist's default name, so that the name is really checked
SIGNATURE = "serving_default"
COUNT = 100
TIMEOUT = 120  # seconds, per call


def data_dir():
    return mnist_idx.default_data_dir()


def dims(tensor_info):
    return [d.size for d in tensor_info.tensor_shape.dim]


class TfServingClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        test = mnist_idx.load_test(data_dir())
        cls.images = test.images[:COUNT]  # float32 [COUNT, 784] in [0, 1]
        cls.digits = test.digits[:COUNT]
        # Python TensorFlow on the same SavedModel: the answers ServeMnist must give
        function = tf.saved_model.load(MODEL_DIR, tags=["serve"]).signatures[SIGNATURE]
        python = function(xs=tf.constant(cls.images))
        cls.python_probabilities = python["probabilities"].numpy()
        cls.python_classes = python["classes"].numpy()
        saved_model = saved_model_pb2.SavedModel()
        with open(os.path.join(MODEL_DIR, "saved_model.pb"), "rb") as f:
            saved_model.ParseFromString(f.read())
        cls.saved_signatures = saved_model.meta_graphs[0].signature_def

        cls.server = compare_with_java.JavaServer(
            MODEL_BASE, extra_args=["--name", NAME, "--grpc-port", "0"])
        if cls.server.grpc_target is None:
            output = " | ".join(line for line in cls.server.output[-5:] if line.strip())
            cls.server.stop()
            raise AssertionError("ServeMnist printed no 'gRPC: HOST:PORT' line before "
                                 "'Serving ...': %s" % output)
        cls.channel = grpc.insecure_channel(cls.server.grpc_target)
        cls.predictions = prediction_service_pb2_grpc.PredictionServiceStub(cls.channel)
        cls.models = model_service_pb2_grpc.ModelServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.stop()

    # -- helpers ---------------------------------------------------------------------------------

    def predict_request(self, inputs=None, model=NAME, version=None, output_filter=()):
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model
        request.model_spec.signature_name = SIGNATURE
        if version is not None:
            request.model_spec.version.value = version
        for key, value in (inputs if inputs is not None else {"xs": self.images}).items():
            request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
        request.output_filter.extend(output_filter)
        return request

    def metadata_request(self, model=NAME, version=None, fields=("signature_def",)):
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        request.model_spec.name = model
        if version is not None:
            request.model_spec.version.value = version
        request.metadata_field.extend(fields)
        return request

    def status_request(self, model=NAME, version=None):
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = model
        if version is not None:
            request.model_spec.version.value = version
        return request

    def assertRpcFails(self, code, call, request):
        """call(request) must raise grpc.RpcError with `code`; returns its details."""
        with self.assertRaises(grpc.RpcError) as caught:
            call(request, timeout=TIMEOUT)
        self.assertEqual(caught.exception.code(), code, caught.exception.details())
        return caught.exception.details()

    # -- Predict ---------------------------------------------------------------------------------

    def test_predict_gives_what_python_tensorflow_gives_for_the_same_savedmodel(self):
        response = self.predictions.Predict(self.predict_request(), timeout=TIMEOUT)
        self.assertEqual(sorted(response.outputs), ["classes", "probabilities"])
        self.assertEqual(response.outputs["probabilities"].dtype, types_pb2.DT_FLOAT)
        self.assertEqual(response.outputs["classes"].dtype, types_pb2.DT_INT64)
        probabilities = tf.make_ndarray(response.outputs["probabilities"])
        classes = tf.make_ndarray(response.outputs["classes"])
        self.assertEqual(probabilities.shape, (COUNT, 10))
        self.assertEqual(classes.shape, (COUNT,))
        difference = float(np.max(np.abs(probabilities.astype(np.float64)
                                          - self.python_probabilities.astype(np.float64))))
        self.assertLessEqual(difference, 1e-6)
        np.testing.assert_array_equal(classes, self.python_classes)
        np.testing.assert_array_equal(np.argmax(probabilities, axis=1), self.python_classes)
        # and a trained model, not two sides agreeing on noise (Python gets all 100 right)
        self.assertGreaterEqual(int(np.sum(classes == self.digits)), 95)

    def test_predict_response_names_the_model_version_and_signature(self):
        response = self.predictions.Predict(self.predict_request(), timeout=TIMEOUT)
        self.assertEqual(response.model_spec.name, NAME)
        self.assertEqual(response.model_spec.version.value, 1)
        self.assertEqual(response.model_spec.signature_name, SIGNATURE)

    def test_a_specific_version_1_works_and_version_7_is_not_found(self):
        response = self.predictions.Predict(self.predict_request(version=1), timeout=TIMEOUT)
        self.assertEqual(response.model_spec.version.value, 1)
        np.testing.assert_array_equal(tf.make_ndarray(response.outputs["classes"]),
                                      self.python_classes)
        with self.subTest("Predict"):
            self.assertRpcFails(grpc.StatusCode.NOT_FOUND, self.predictions.Predict,
                                self.predict_request(version=7))
        with self.subTest("GetModelMetadata"):
            self.assertRpcFails(grpc.StatusCode.NOT_FOUND, self.predictions.GetModelMetadata,
                                self.metadata_request(version=7))
        with self.subTest("GetModelStatus"):
            self.assertRpcFails(grpc.StatusCode.NOT_FOUND, self.models.GetModelStatus,
                                self.status_request(version=7))

    def test_an_unknown_model_is_not_found(self):
        with self.subTest("Predict"):
            self.assertRpcFails(grpc.StatusCode.NOT_FOUND, self.predictions.Predict,
                                self.predict_request(model="no-such-model"))
        with self.subTest("GetModelMetadata"):
            self.assertRpcFails(grpc.StatusCode.NOT_FOUND, self.predictions.GetModelMetadata,
                                self.metadata_request(model="no-such-model"))
        with self.subTest("GetModelStatus"):
            self.assertRpcFails(grpc.StatusCode.NOT_FOUND, self.models.GetModelStatus,
                                self.status_request(model="no-such-model"))

    def test_an_input_of_the_wrong_shape_is_invalid_argument(self):
        # [3, 100]: 300 values, not [-1, 784] (nor a multiple of 784 that a reshape could take)
        wrong = np.zeros([3, 100], np.float32)
        self.assertRpcFails(grpc.StatusCode.INVALID_ARGUMENT, self.predictions.Predict,
                            self.predict_request({"xs": wrong}))

    def test_an_input_of_the_wrong_dtype_is_invalid_argument(self):
        request = self.predict_request({"xs": self.images.astype(np.float64)})
        self.assertEqual(request.inputs["xs"].dtype, types_pb2.DT_DOUBLE)
        self.assertRpcFails(grpc.StatusCode.INVALID_ARGUMENT, self.predictions.Predict, request)

    def test_a_missing_or_unknown_input_name_is_invalid_argument(self):
        with self.subTest("unknown name"):
            self.assertRpcFails(grpc.StatusCode.INVALID_ARGUMENT, self.predictions.Predict,
                                self.predict_request({"images": self.images}))
        with self.subTest("no input"):
            self.assertRpcFails(grpc.StatusCode.INVALID_ARGUMENT, self.predictions.Predict,
                                self.predict_request({}))

    def test_output_filter_returns_only_the_outputs_asked_for(self):
        for output in ("probabilities", "classes"):
            with self.subTest(output):
                response = self.predictions.Predict(
                    self.predict_request(output_filter=[output]), timeout=TIMEOUT)
                self.assertEqual(list(response.outputs), [output])
        response = self.predictions.Predict(
            self.predict_request(output_filter=["probabilities"]), timeout=TIMEOUT)
        difference = float(np.max(np.abs(
            tf.make_ndarray(response.outputs["probabilities"]).astype(np.float64)
            - self.python_probabilities.astype(np.float64))))
        self.assertLessEqual(difference, 1e-6)
        with self.subTest("an output the signature does not have"):
            self.assertRpcFails(grpc.StatusCode.INVALID_ARGUMENT, self.predictions.Predict,
                                self.predict_request(output_filter=["logits"]))

    def test_classify_regress_and_multi_inference_need_a_tf_example_signature(self):
        # the model's one signature takes float pixels under "xs", not tf.Example under "inputs"
        # (test_tf_serving_example_tasks.py sends them to a model that has such signatures)
        example = example_pb2.Example()
        example.features.feature["xs"].float_list.value.extend(self.images[0].tolist())
        spec = model_pb2.ModelSpec(name=NAME, signature_name=SIGNATURE)
        classify = classification_pb2.ClassificationRequest(model_spec=spec)
        classify.input.example_list.examples.append(example)
        regress = regression_pb2.RegressionRequest(model_spec=spec)
        regress.input.example_list.examples.append(example)
        multi = inference_pb2.MultiInferenceRequest()
        multi.tasks.add(model_spec=spec, method_name="tensorflow/serving/classify")
        multi.input.example_list.examples.append(example)
        for name, call, request, kind in (
                ("Classify", self.predictions.Classify, classify, "classification"),
                ("Regress", self.predictions.Regress, regress, "regression"),
                ("MultiInference", self.predictions.MultiInference, multi, "classification")):
            with self.subTest(name):
                details = self.assertRpcFails(grpc.StatusCode.INVALID_ARGUMENT, call, request)
                self.assertIn("No %s inputs found in signature serving_default" % kind, details)

    # -- GetModelStatus, GetModelMetadata --------------------------------------------------------

    def test_model_status_is_one_available_version(self):
        response = self.models.GetModelStatus(self.status_request(), timeout=TIMEOUT)
        self.assertEqual(len(response.model_version_status), 1, response)
        status = response.model_version_status[0]
        self.assertEqual(status.version, 1)
        self.assertEqual(status.state, get_model_status_pb2.ModelVersionStatus.AVAILABLE)
        self.assertEqual(status.status.error_code, 0)  # tensorflow.error.OK
        self.assertEqual(status.status.error_message, "")
        specific = self.models.GetModelStatus(self.status_request(version=1), timeout=TIMEOUT)
        self.assertEqual([s.version for s in specific.model_version_status], [1])

    def signature_def_map(self, response):
        self.assertEqual(list(response.metadata), ["signature_def"])
        signatures = get_model_metadata_pb2.SignatureDefMap()
        self.assertTrue(response.metadata["signature_def"].Unpack(signatures),
                        response.metadata["signature_def"].type_url)
        return signatures.signature_def

    def test_metadata_gives_the_signatures_inputs_and_outputs(self):
        response = self.predictions.GetModelMetadata(self.metadata_request(), timeout=TIMEOUT)
        self.assertEqual(response.model_spec.name, NAME)
        self.assertEqual(response.model_spec.version.value, 1)
        signatures = self.signature_def_map(response)
        self.assertIn(SIGNATURE, signatures)
        signature = signatures[SIGNATURE]
        self.assertEqual(signature.method_name, "tensorflow/serving/predict")
        self.assertEqual(sorted(signature.inputs), ["xs"])
        self.assertEqual(signature.inputs["xs"].dtype, types_pb2.DT_FLOAT)
        self.assertEqual(dims(signature.inputs["xs"]), [-1, 784])
        self.assertEqual(sorted(signature.outputs), ["classes", "probabilities"])
        self.assertEqual(signature.outputs["probabilities"].dtype, types_pb2.DT_FLOAT)
        self.assertEqual(dims(signature.outputs["probabilities"]), [-1, 10])
        self.assertEqual(signature.outputs["classes"].dtype, types_pb2.DT_INT64)
        self.assertEqual(dims(signature.outputs["classes"]), [-1])

    def test_metadata_is_the_savedmodels_own_signature_def_map(self):
        # what TF Serving returns: the MetaGraphDef's signature_def map as saved, tensor names too
        response = self.predictions.GetModelMetadata(self.metadata_request(version=1),
                                                     timeout=TIMEOUT)
        signatures = self.signature_def_map(response)
        self.assertEqual(sorted(signatures), sorted(self.saved_signatures))
        for key in self.saved_signatures:
            self.assertEqual(signatures[key], self.saved_signatures[key], key)

    def test_metadata_fields_other_than_signature_def_are_invalid_argument(self):
        for fields in (["not_a_field"], ["signature_def", "not_a_field"]):
            with self.subTest(fields=fields):
                self.assertRpcFails(grpc.StatusCode.INVALID_ARGUMENT,
                                    self.predictions.GetModelMetadata,
                                    self.metadata_request(fields=fields))

    # -- the command-line client -----------------------------------------------------------------

    def test_the_client_script_prints_status_signatures_digits_and_accuracy(self):
        result = subprocess.run(
            [sys.executable, CLIENT, "--target", self.server.grpc_target, "--model", NAME,
             "--count", str(COUNT), "--data-dir", os.path.abspath(data_dir())],
            cwd=REPO, capture_output=True, text=True, env=tfsetup.child_environment(),
            timeout=600)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "model %s version 1: AVAILABLE (OK)" % NAME)
        for expected in ("signature serving_default (tensorflow/serving/predict)",
                         "  input xs: float32 [-1, 784]",
                         "  output classes: int64 [-1]",
                         "  output probabilities: float32 [-1, 10]"):
            self.assertIn(expected, lines)
        self.assertEqual(lines[-2], "predicted with serving_default/classes: "
                         + " ".join(str(d) for d in self.python_classes))
        correct = int(np.sum(self.python_classes == self.digits))
        self.assertEqual(lines[-1], "accuracy %.4f (%d of %d test images)"
                         % (correct / COUNT, correct, COUNT))

    def test_the_client_script_says_what_the_server_answered_in_one_line(self):
        result = subprocess.run(
            [sys.executable, CLIENT, "--target", self.server.grpc_target, "--model",
             "no-such-model", "--count", "1", "--data-dir", os.path.abspath(data_dir())],
            cwd=REPO, capture_output=True, text=True, env=tfsetup.child_environment(),
            timeout=600)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertRegex(result.stderr, r"^tf_serving_client\.py: error: NOT_FOUND: \S")


class TfServingReloadConfigTest(unittest.TestCase):
    """ModelService.HandleReloadConfigRequest, as TF Serving's users change models at run time:
    a server of its own, whose models the test replaces."""

    @classmethod
    def setUpClass(cls):
        cls.server = compare_with_java.JavaServer(MODEL_BASE, extra_args=["--name", "first"])
        cls.channel = grpc.insecure_channel(cls.server.grpc_target)
        cls.models = model_service_pb2_grpc.ModelServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.stop()

    def reload(self, *configs):
        request = model_management_pb2.ReloadConfigRequest()
        for name, base_path in configs:
            config = request.config.model_config_list.config.add()
            config.name = name
            config.base_path = base_path
            config.model_platform = "tensorflow"
        return self.models.HandleReloadConfigRequest(request, timeout=TIMEOUT)

    def state(self, name):
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = name
        response = self.models.GetModelStatus(request, timeout=TIMEOUT)
        return [(s.version, get_model_status_pb2.ModelVersionStatus.State.Name(s.state))
                for s in response.model_version_status]

    def test_a_reloaded_config_replaces_the_models_served(self):
        self.assertEqual([(1, "AVAILABLE")], self.state("first"))
        keras_base = os.path.join(REPO, "savedmodel", "python-keras")
        response = self.reload(("second", MODEL_BASE), ("keras", keras_base))
        self.assertEqual(0, response.status.error_code, response)
        self.assertEqual([(1, "AVAILABLE")], self.state("second"))
        self.assertEqual("AVAILABLE", self.state("keras")[0][1])
        with self.assertRaises(grpc.RpcError) as raised:
            self.state("first")
        self.assertEqual(grpc.StatusCode.NOT_FOUND, raised.exception.code())

    def test_a_bad_config_is_invalid_argument_and_changes_nothing(self):
        before = self.server_models()
        with self.assertRaises(grpc.RpcError) as raised:
            self.reload(("twice", MODEL_BASE), ("twice", MODEL_BASE))
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, raised.exception.code())
        self.assertIn("the name twice is used by config 1 too", raised.exception.details())
        self.assertEqual(before, self.server_models())

    def server_models(self):
        found = {}
        for name in ("first", "second", "keras"):
            try:
                found[name] = self.state(name)
            except grpc.RpcError:
                pass
        return found


class TfServingClientWithoutServerTest(unittest.TestCase):
    """The client's own errors, without a server (no Java needed)."""

    def run_client(self, *args):
        return subprocess.run([sys.executable, CLIENT, *args], cwd=REPO, capture_output=True,
                              text=True, env=tfsetup.child_environment(), timeout=300)

    def test_a_bad_command_line_exits_2(self):
        for args in ([], ["--model", "m"], ["--target", "localhost", "--model", "m"],
                     ["--target", "localhost:8500", "--model", "m", "--count", "0"]):
            with self.subTest(args=args):
                result = self.run_client(*args)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn("tf_serving_client.py: error: ", result.stderr)

    def test_nothing_listening_is_one_line_unavailable(self):
        with socket.socket() as s:  # a port that was free a moment ago
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        result = self.run_client("--target", "127.0.0.1:%d" % port, "--model", "m",
                                 "--count", "1", "--data-dir", os.path.abspath(data_dir()))
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertRegex(result.stderr, r"^tf_serving_client\.py: error: UNAVAILABLE: \S")

    def test_no_mnist_is_one_line(self):
        result = self.run_client("--target", "127.0.0.1:1", "--model", "m",
                                 "--data-dir", os.path.join(REPO, "no-such-directory"))
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(result.stderr.strip(), "tf_serving_client.py: error: %s: MNIST "
                         "directory not found (use --data-dir or MNIST_DIR)"
                         % os.path.join(REPO, "no-such-directory"))


if __name__ == "__main__":
    unittest.main()
