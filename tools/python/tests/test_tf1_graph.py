"""train_tf1.py builds the Java port's graph: same names, same ops, bit-identical initial weights.

The expected values come from the Java side (dev.tfmnist.model.MnistCnn, TF Java 1.1.0):
- JAVA_INITIAL_SHA256: sha256 of each variable's float32 little-endian bytes in a checkpoint that
  new MnistTrainer(TrainingConfig.ORIGINAL) (seed 1) saved before any step;
- JAVA_FORWARD_OPS: the op types of Java's exported inference graph, without its save/restore
  nodes (TF1 Python adds an Identity "read" per variable, which Java does not have).

Run: python -m unittest discover -s tools/python/tests   (needs TensorFlow: use setup-venv's python)
"""

import collections
import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import train_tf1  # noqa: E402

tf = train_tf1.tf
tf1 = train_tf1.tf1

JAVA_INITIAL_SHA256 = {
    "conv1/weights": "ddd8eaef56347176d35b602f75385d9d0b5b84cf2702f70931eb7cd14d77ef48",
    "conv1/biases": "b00a53f1850cbf082d220029a59ae7d940689bbfc1ffcd5c79441db104205837",
    "conv2/weights": "368da2696eabaa21ae04a696040f28207b4de59023b72ff20b4545eba331e298",
    "conv2/biases": "af583b758533bccfedfd103e72502ed57257d71bb94643a738dd8b82ae25ca6b",
    "fc1/weights": "d309c4d482eaaf929c1e2ff7e52dd1e8a16f283454bfa89eebc2f6c15f998aa0",
    "fc1/biases": "c4f83b73855dc04e29a213b9b914a6857e99f90145115a76ccc4852deff73cc0",
    "fc2/weights": "9b1040df738fb24b65d73d137a6f0d7f4af42bd438a82975e3170d49bff894e1",
    "fc2/biases": "c2a1076280164fce11c1e91f4b35f8fb4699216a1398c779b9d0a233425f0ad6",
}

JAVA_FORWARD_OPS = {
    "Add": 5, "ArgMax": 1, "Conv2D": 2, "Div": 1, "Fill": 4, "Floor": 1, "MatMul": 2,
    "MaxPool": 2, "Mul": 5, "Placeholder": 1, "PlaceholderWithDefault": 2, "Relu": 3,
    "Reshape": 2, "Shape": 1, "Softmax": 1, "StatelessRandomUniform": 1, "TruncatedNormal": 4,
    "VariableV2": 8,
}

NAMED_OPS = {
    "xs": "Placeholder", "ys": "Placeholder", "keep_prob": "PlaceholderWithDefault",
    "dropout_seed": "PlaceholderWithDefault", "h_conv1": "Relu", "h_pool1": "MaxPool",
    "h_conv2": "Relu", "h_pool2": "MaxPool", "h_fc1": "Relu", "h_fc1_drop": "Mul",
    "logits": "Add", "prediction": "Softmax", "classes": "ArgMax", "cross_entropy": "Mean",
    "train_step": "NoOp", "accuracy": "Mean",
    "beta1_power": "VariableV2", "beta2_power": "VariableV2",
}


class Tf1GraphTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.graph = tf.Graph()
        with cls.graph.as_default():
            cls.model = train_tf1.add_training(train_tf1.build_model(1), 1e-4)
            cls.init = tf1.global_variables_initializer()

    def op(self, name):
        return self.graph.get_operation_by_name(name)

    def test_named_nodes_have_javas_op_types(self):
        for name, op_type in NAMED_OPS.items():
            self.assertEqual(self.op(name).type, op_type, name)
        for name in train_tf1.VARIABLES:
            self.assertEqual(self.op(name).type, "VariableV2", name)
            self.assertEqual(self.op(name + "/Adam").type, "VariableV2", name)
            self.assertEqual(self.op(name + "/Adam_1").type, "VariableV2", name)
        self.assertEqual(self.op("dropout_seed").get_attr("dtype"), tf.int64)
        self.assertEqual(self.op("classes").get_attr("output_type"), tf.int64)
        self.assertEqual(
            sorted(op.name for op in self.graph.get_operations() if op.type == "VariableV2"),
            sorted(train_tf1.VARIABLES + [n + s for n in train_tf1.VARIABLES
                                          for s in ("/Adam", "/Adam_1")]
                   + ["beta1_power", "beta2_power"]))
        self.assertEqual(
            sum(int(np.prod(v.shape)) for v in self.model.variables.values()), 3_274_634)

    def test_weights_use_truncated_normal_with_seed_and_seed2_in_creation_order(self):
        seeds = [(op.get_attr("seed"), op.get_attr("seed2"))
                 for op in self.graph.get_operations() if op.type == "TruncatedNormal"]
        self.assertEqual(seeds, [(1, 1), (1, 2), (1, 3), (1, 4)])

    def test_inference_graph_has_javas_ops(self):
        graph = tf.Graph()
        with graph.as_default():
            train_tf1.build_model(1)
        counts = collections.Counter(op.type for op in graph.get_operations()
                                     if op.type not in ("Const", "Identity", "Assign"))
        self.assertEqual(dict(counts), JAVA_FORWARD_OPS)

    def test_initial_weights_are_bit_identical_to_javas(self):
        with tf1.Session(graph=self.graph) as session:
            session.run(self.init)
            values = session.run(self.model.variables)
        for name, expected in JAVA_INITIAL_SHA256.items():
            data = np.ascontiguousarray(values[name], dtype="<f4").tobytes()
            self.assertEqual(hashlib.sha256(data).hexdigest(), expected, name)

    def test_dropout_is_identity_at_keep_prob_1_and_seeded_otherwise(self):
        m = self.model
        xs = np.random.default_rng(0).random((3, 784), dtype=np.float32)
        with tf1.Session(graph=self.graph) as session:
            session.run(self.init)
            fc1, kept = session.run([m.h_fc1, m.h_fc1_drop], {m.xs: xs})
            np.testing.assert_array_equal(fc1, kept)
            feed = {m.xs: xs, m.keep_prob: np.float32(0.5), m.dropout_seed: [1, 7]}
            first = session.run(m.h_fc1_drop, feed)
            again = session.run(m.h_fc1_drop, feed)
            np.testing.assert_array_equal(first, again)
            dropped = (first == 0) & (fc1 != 0)
            self.assertTrue(0.3 < dropped.sum() / max(1, (fc1 != 0).sum()) < 0.7)
            np.testing.assert_array_equal(first[~dropped & (fc1 != 0)],
                                          fc1[~dropped & (fc1 != 0)] / np.float32(0.5))


if __name__ == "__main__":
    unittest.main()
