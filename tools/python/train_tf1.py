#!/usr/bin/env python3
"""The original TF1 MNIST program (shared/seed/seed_program.py) on TensorFlow 2.18 via tf.compat.v1.

It builds exactly the graph the Java port builds (dev.tfmnist.model.MnistCnn): the same node and
variable names, the same ops (TruncatedNormal with seed/seed2, Add for biases, the V1
StatelessRandomUniform dropout, ApplyAdam with TF1's slot names), the same hyperparameters and the
same batch order (mnist_idx.BatchSampler, a port of Java's), and prints the same lines as Java's
TrainMnist. It exports a SavedModel that holds only the inference graph and its eight variables,
with the signature Java's export has (serving_default: xs -> probabilities, classes).

Usage: train_tf1.py [--steps N] [--batch-size N] [--learning-rate R] [--keep-prob P]
                    [--eval-every N] [--seed S] [--loss original|stable] [--data-dir DIR]
                    [--export-dir BASE | --no-export]
                    [--save-initial PREFIX] [--save-final PREFIX] [--init-from PREFIX]
                    [--losses-json FILE] [--intra-op-threads N] [--inter-op-threads N]

Other scripts import build_model / add_training / model_saver from here instead of copying them.
"""

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import argparse
import decimal
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time

import numpy as np

import mnist_idx

tf = tfsetup.tf

tf1 = tf.compat.v1

# Names shared with dev.tfmnist.model.GraphNames: they are the checkpoint/SavedModel contract.
VARIABLES = ["conv1/weights", "conv1/biases", "conv2/weights", "conv2/biases",
             "fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases"]
SIGNATURE_KEY = "serving_default"
SIGNATURE_INPUT = "xs"
SIGNATURE_PROBABILITIES = "probabilities"
SIGNATURE_CLASSES = "classes"
EVAL_CHUNK = 1000


class UserError(Exception):
    """A problem with the user's input: printed as one line, exit code 1."""


class Model:
    """Handles of the nodes of one built graph (see build_model)."""


def _ref_variable(name, initial_value):
    # A TF1 ref variable (VariableV2 + Assign initializer), as Java's NamedVariable creates.
    return tf1.Variable(initial_value, name=name, use_resource=False)


def build_model(seed):
    """Builds the inference graph xs -> prediction in the default graph, named as in Java.

    The weights start as TruncatedNormal(shape, seed=seed, seed2=k) * 0.1 with k = 1..4 for
    conv1, conv2, fc1, fc2 (Java numbers them in creation order), the biases as fill(0.1), so the
    initial values are bit-identical to Java's for the same seed.
    """
    m = Model()
    seed2 = iter(range(1, 5))

    def weight(layer, shape):
        initial = tf.raw_ops.TruncatedNormal(
            shape=tf.constant(shape, dtype=tf.int64), dtype=tf.float32, seed=seed,
            seed2=next(seed2))
        return _ref_variable(layer + "/weights", tf.math.multiply(initial, tf.constant(0.1)))

    def bias(layer, size):
        return _ref_variable(
            layer + "/biases", tf.fill(tf.constant([size], dtype=tf.int32), tf.constant(0.1)))

    m.xs = tf1.placeholder(tf.float32, [None, 784], name="xs")
    m.keep_prob = tf1.placeholder_with_default(tf.constant(1.0), [], name="keep_prob")
    m.dropout_seed = tf1.placeholder_with_default(
        tf.constant([0, 0], dtype=tf.int64), [2], name="dropout_seed")
    x_image = tf.reshape(m.xs, tf.constant([-1, 28, 28, 1]))

    def add(x, y, name=None):
        # The plain Add op, as Java's tf.math.add (tf.math.add in Python makes AddV2).
        return tf.raw_ops.Add(x=x, y=y, name=name)

    def conv2d(x, w):
        return tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")

    def max_pool_2x2(x, name):
        # TF1's tf.nn.max_pool: MaxPool with its window in attributes, as Java's MnistCnn
        return tf.raw_ops.MaxPool(input=x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1],
                                  padding="SAME", name=name)

    # conv1 layer
    w_conv1 = weight("conv1", [5, 5, 1, 32])
    b_conv1 = bias("conv1", 32)
    m.h_conv1 = tf.nn.relu(add(conv2d(x_image, w_conv1), b_conv1), name="h_conv1")
    m.h_pool1 = max_pool_2x2(m.h_conv1, "h_pool1")
    # conv2 layer
    w_conv2 = weight("conv2", [5, 5, 32, 64])
    b_conv2 = bias("conv2", 64)
    m.h_conv2 = tf.nn.relu(add(conv2d(m.h_pool1, w_conv2), b_conv2), name="h_conv2")
    m.h_pool2 = max_pool_2x2(m.h_conv2, "h_pool2")
    # fc1 layer
    w_fc1 = weight("fc1", [7 * 7 * 64, 1024])
    b_fc1 = bias("fc1", 1024)
    h_pool2_flat = tf.reshape(m.h_pool2, tf.constant([-1, 7 * 7 * 64]))
    m.h_fc1 = tf.nn.relu(add(tf.linalg.matmul(h_pool2_flat, w_fc1), b_fc1), name="h_fc1")
    # TF1 dropout: x / keep_prob * floor(keep_prob + uniform), with a stateless (V1 op) uniform
    # seeded by dropout_seed, so step i's mask depends only on the (seed, i) fed for it.
    uniform = tf.raw_ops.StatelessRandomUniform(
        shape=tf.shape(m.h_fc1), seed=m.dropout_seed, dtype=tf.float32)
    mask = tf.math.floor(add(m.keep_prob, uniform))
    m.h_fc1_drop = tf.math.multiply(tf.raw_ops.Div(x=m.h_fc1, y=m.keep_prob), mask,
                                    name="h_fc1_drop")
    # fc2 layer
    w_fc2 = weight("fc2", [1024, 10])
    b_fc2 = bias("fc2", 10)
    m.logits = add(tf.linalg.matmul(m.h_fc1_drop, w_fc2), b_fc2, name="logits")
    m.prediction = tf.nn.softmax(m.logits, name="prediction")
    m.classes = tf.math.argmax(m.prediction, tf.constant(1), name="classes")
    m.variables = dict(zip(VARIABLES, [w_conv1, b_conv1, w_conv2, b_conv2,
                                       w_fc1, b_fc1, w_fc2, b_fc2]))
    return m


LOSSES = ("original", "stable")


def add_training(m, learning_rate, loss="original"):
    """The loss and its Adam step, plus the accuracy node, named as in Java.

    loss "original" is the seed program's mean(-sum(ys * log(prediction))) (log(0) can appear);
    "stable" is the fused SoftmaxCrossEntropyWithLogits on the logits, as Java's --loss stable.
    """
    m.ys = tf1.placeholder(tf.float32, [None, 10], name="ys")
    if loss == "original":
        per_image = tf.math.negative(tf.math.reduce_sum(
            tf.math.multiply(m.ys, tf.math.log(m.prediction)), axis=tf.constant(1)))
    elif loss == "stable":
        per_image = tf.raw_ops.SoftmaxCrossEntropyWithLogits(features=m.logits, labels=m.ys)[0]
    else:
        raise ValueError("loss %r, expected one of %s" % (loss, ", ".join(LOSSES)))
    m.cross_entropy = tf.math.reduce_mean(per_image, axis=tf.constant(0), name="cross_entropy")
    # GATE_GRAPH: every update waits for every gradient, as Java's AdamOptimizer does (the fc1
    # gradient reads fc2/weights, which an early ApplyAdam would already have changed).
    optimizer = tf1.train.AdamOptimizer(np.float32(learning_rate))
    m.train_step = optimizer.minimize(
        m.cross_entropy, var_list=[m.variables[name] for name in VARIABLES],
        gate_gradients=tf1.train.Optimizer.GATE_GRAPH, name="train_step")
    correct = tf.math.equal(m.classes, tf.math.argmax(m.ys, tf.constant(1)))
    m.accuracy = tf.math.reduce_mean(tf.cast(correct, tf.float32), axis=tf.constant(0),
                                     name="accuracy")
    return m


def model_saver(m):
    """A Saver of the eight model variables under their TF1/Java names."""
    return tf1.train.Saver(var_list=dict(m.variables), max_to_keep=None, save_relative_paths=True)


def session_config(intra_op_threads=0, inter_op_threads=0):
    return tf1.ConfigProto(intra_op_parallelism_threads=intra_op_threads,
                           inter_op_parallelism_threads=inter_op_threads)


# ---------------------------------------------------------------------------------------------
# checkpoints

def checkpoint_exists(prefix):
    return os.path.isfile(prefix + ".index")


def require_checkpoint(prefix):
    if not checkpoint_exists(prefix):
        raise UserError("%s: no TF checkpoint there (expected %s.index and its data files)"
                        % (prefix, prefix))


def save_checkpoint(saver, session, prefix):
    """Saves to a temporary prefix beside PREFIX, then renames each file into place (index last)."""
    directory = os.path.dirname(os.path.abspath(prefix))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise UserError("%s: cannot create the directory (%s)" % (directory, e.strerror)) from e
    work = tempfile.mkdtemp(prefix=".ckpt-", dir=directory)
    try:
        tmp_prefix = os.path.join(work, "ckpt")
        saver.save(session, tmp_prefix, write_meta_graph=False, write_state=False)
        files = sorted(f for f in os.listdir(work) if f.startswith("ckpt."))
        files.sort(key=lambda f: f == "ckpt.index")  # the index, which makes it readable, last
        for f in files:
            os.replace(os.path.join(work, f), os.path.abspath(prefix) + f[len("ckpt"):])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def restore_model_variables(m, session, prefix):
    """Sets the eight model variables from a TF checkpoint (Python's, Java's, a SavedModel's)."""
    require_checkpoint(prefix)
    reader = tf.train.load_checkpoint(prefix)
    shapes = reader.get_variable_to_shape_map()
    for name in VARIABLES:
        want = m.variables[name].shape.as_list()
        if name not in shapes:
            raise UserError("%s: variable %s missing from the checkpoint" % (prefix, name))
        if list(shapes[name]) != want:
            raise UserError("%s: variable %s has shape %s, expected %s"
                            % (prefix, name, list(shapes[name]), want))
    model_saver(m).restore(session, prefix)


# ---------------------------------------------------------------------------------------------
# SavedModel export

_VERSION = re.compile(r"^\d+$")


def latest_version(base_dir):
    """The highest integer-named subdirectory of base_dir, 0 when there is none."""
    versions = [int(name) for name in os.listdir(base_dir)
                if _VERSION.match(name) and os.path.isdir(os.path.join(base_dir, name))]
    return max(versions, default=0)


def write_inference_model(checkpoint_prefix, seed, target):
    """A SavedModel at target with a fresh inference graph and the 8 variables from the checkpoint."""
    graph = tf.Graph()
    with graph.as_default():
        m = build_model(seed)
        with tf1.Session(graph=graph) as session:
            model_saver(m).restore(session, checkpoint_prefix)
            info = tf1.saved_model.utils.build_tensor_info
            signature = tf1.saved_model.signature_def_utils.build_signature_def(
                inputs={SIGNATURE_INPUT: info(m.xs)},
                outputs={SIGNATURE_PROBABILITIES: info(m.prediction),
                         SIGNATURE_CLASSES: info(m.classes)},
                method_name=tf1.saved_model.signature_constants.PREDICT_METHOD_NAME)
            builder = tf1.saved_model.Builder(target)
            builder.add_meta_graph_and_variables(
                session, [tf1.saved_model.tag_constants.SERVING],
                signature_def_map={SIGNATURE_KEY: signature}, strip_default_attrs=True)
            builder.save()


def move_to_next_version(model_dir, base_dir):
    """Renames model_dir to base_dir/<latest + 1>, claiming the number first; never overwrites."""
    for _ in range(100):
        target = os.path.join(base_dir, str(latest_version(base_dir) + 1))
        try:
            os.mkdir(target)  # claims the number; rename onto an empty directory then replaces it
        except FileExistsError:
            continue
        os.rename(model_dir, target)
        return target
    raise UserError("%s: could not claim a new version directory" % base_dir)


def export(session, m, seed, base_dir):
    """Exports the session's current model variables to the next version under base_dir."""
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as e:
        raise UserError("%s: cannot create the export directory (%s)" % (base_dir, e.strerror)) \
            from e
    if not os.path.isdir(base_dir):
        raise UserError("%s: not a directory" % base_dir)
    work = tempfile.mkdtemp(prefix=".export-", dir=base_dir)
    try:
        checkpoint = os.path.join(work, "checkpoint", "variables")
        model_saver(m).save(session, checkpoint, write_meta_graph=False, write_state=False)
        model_dir = os.path.join(work, "model")
        write_inference_model(checkpoint, seed, model_dir)
        return move_to_next_version(model_dir, base_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# training

def java_fixed(value, places):
    """Like Java's String.format("%.Nf"): HALF_UP rounding of the shortest decimal of the double."""
    quantum = decimal.Decimal(1).scaleb(-places)
    d = decimal.Decimal(repr(float(value))).quantize(quantum, rounding=decimal.ROUND_HALF_UP)
    return "%s" % d


def evaluation_line(step, loss, accuracy, seconds):
    return "step %-5d loss %s  accuracy %s  %.1f s" % (
        step, java_fixed(loss, 4), java_fixed(accuracy, 4), seconds)


def evaluate(session, m, split, chunk=EVAL_CHUNK):
    """Test accuracy with keep_prob 1, in chunks of 1000, counting round(accuracy * n) per chunk."""
    correct = 0
    for start in range(0, split.count, chunk):
        n = min(chunk, split.count - start)
        accuracy = session.run(m.accuracy, feed_dict={
            m.xs: split.images[start:start + n], m.ys: split.labels[start:start + n]})
        correct += math.floor(float(accuracy) * n + 0.5)  # Java's Math.round(float * (double) n)
    return correct / split.count


def train(args, data, out=sys.stdout):
    """Runs the whole training; returns (final accuracy, losses, export path or None)."""
    graph = tf.Graph()
    with graph.as_default():
        m = add_training(build_model(args.seed), args.learning_rate, args.loss)
        init = tf1.global_variables_initializer()
        saver = model_saver(m)
    with tf1.Session(graph=graph, config=session_config(args.intra_op_threads,
                                                         args.inter_op_threads)) as session:
        session.run(init)
        if args.init_from:
            restore_model_variables(m, session, args.init_from)
        if args.save_initial:
            save_checkpoint(saver, session, args.save_initial)
        sampler = mnist_idx.BatchSampler(data.train.count, args.seed)
        keep_prob = np.float32(args.keep_prob)
        losses = []
        last = None
        start = time.monotonic()
        for step in range(args.steps):
            xs, ys = data.train.batch(sampler.next(args.batch_size))
            _, loss = session.run([m.train_step, m.cross_entropy], feed_dict={
                m.xs: xs, m.ys: ys, m.keep_prob: keep_prob,
                m.dropout_seed: np.array([args.seed, step], dtype=np.int64)})
            losses.append(loss)
            if step % args.eval_every == 0:
                last = (step, evaluate(session, m, data.test))
                print(evaluation_line(step, loss, last[1], time.monotonic() - start), file=out,
                      flush=True)
        if last is not None and last[0] == args.steps - 1:
            final = last[1]
        else:
            final = evaluate(session, m, data.test)
        print("final test accuracy %s" % java_fixed(final, 4), file=out, flush=True)
        if args.save_final:
            save_checkpoint(saver, session, args.save_final)
        exported = None
        if args.export_dir is not None:
            exported = export(session, m, args.seed, args.export_dir)
            print("SavedModel written to %s" % exported, file=out, flush=True)
    return final, losses, exported


def write_text_atomically(path, text):
    """Writes text to a temporary file beside path, then renames it into place."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomically(path, value):
    write_text_atomically(path, json.dumps(value, indent=1) + "\n")


def float32_list(values):
    """float32 values as Python floats: json writes their shortest repr, which round-trips."""
    return [float(np.float32(v)) for v in values]


# ---------------------------------------------------------------------------------------------
# command line

def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError("expected an integer, got %r" % text) from None
        if value < minimum:
            raise argparse.ArgumentTypeError("must be %d or more, got %d" % (minimum, value))
        return value
    return parse


def _float_in(low, high, low_open=True):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError("expected a number, got %r" % text) from None
        ok = math.isfinite(value) and (value > low if low_open else value >= low) and value <= high
        if not ok:
            raise argparse.ArgumentTypeError("must be in %s%g, %g], got %r"
                                             % ("(" if low_open else "[", low, high, text))
        return value
    return parse


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an integer, got %r" % text) from None
    if not -2**63 <= value < 2**63:
        raise argparse.ArgumentTypeError("must fit a signed 64-bit integer, got %s" % text)
    return value


def parser():
    p = argparse.ArgumentParser(
        prog="train_tf1.py",
        description="Trains the original TF1 MNIST CNN through tf.compat.v1 with the Java port's "
                    "graph, names, batch order and dropout, and exports an inference SavedModel.")
    p.add_argument("--steps", type=_int_at_least(0), default=1000, metavar="N",
                   help="training steps (default: 1000)")
    p.add_argument("--batch-size", type=_int_at_least(1), default=100, metavar="N",
                   help="images per step (default: 100)")
    p.add_argument("--learning-rate", type=_float_in(0, math.inf), default=1e-4, metavar="RATE",
                   help="Adam's learning rate (default: 1e-4)")
    p.add_argument("--keep-prob", type=_float_in(0, 1), default=0.5, metavar="P",
                   help="dropout keep probability while training (default: 0.5)")
    p.add_argument("--eval-every", type=_int_at_least(1), default=50, metavar="N",
                   help="test accuracy after every step i with i %% N == 0 (default: 50)")
    p.add_argument("--seed", type=_seed, default=1, metavar="SEED",
                   help="seeds the initial weights, batch order and dropout masks (default: 1)")
    p.add_argument("--loss", choices=LOSSES, default="original",
                   help="original: mean(-sum(ys * log(prediction))) as the seed program; stable: "
                        "the fused softmax cross-entropy on the logits (default: original)")
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help="MNIST directory (default: $MNIST_DIR, else data/mnist)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--export-dir", metavar="BASE", default=os.path.join("savedmodel", "tf1"),
                       help="SavedModel base directory; the model becomes its next integer "
                            "version (default: savedmodel/tf1)")
    group.add_argument("--no-export", dest="export_dir", action="store_const", const=None,
                       help="do not export a SavedModel")
    p.add_argument("--save-initial", metavar="PREFIX",
                   help="write the 8 model variables as a TF checkpoint before the first step")
    p.add_argument("--save-final", metavar="PREFIX",
                   help="write the 8 model variables as a TF checkpoint after the last step")
    p.add_argument("--init-from", metavar="PREFIX",
                   help="restore the 8 model variables from this checkpoint before training "
                        "(a Python or Java checkpoint, or a SavedModel's variables/variables)")
    p.add_argument("--losses-json", metavar="FILE",
                   help="write the training loss of every step as a JSON list of floats")
    p.add_argument("--intra-op-threads", type=_int_at_least(0), default=0, metavar="N",
                   help="TensorFlow intra-op threads (default: 0 = TensorFlow's choice)")
    p.add_argument("--inter-op-threads", type=_int_at_least(0), default=0, metavar="N",
                   help="TensorFlow inter-op threads (default: 0 = TensorFlow's choice)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    tf1.disable_eager_execution()
    tfsetup.quiet()
    if args.batch_size > 55000:
        parser().error("--batch-size must be at most 55000 (the training images), got %d"
                       % args.batch_size)
    data_dir = args.data_dir if args.data_dir is not None else mnist_idx.default_data_dir()
    try:
        if args.init_from:
            require_checkpoint(args.init_from)
        if not os.path.isdir(data_dir):
            raise UserError("%s: MNIST directory not found (use --data-dir or MNIST_DIR)"
                            % data_dir)
        if args.export_dir is not None and os.path.exists(args.export_dir) \
                and not os.path.isdir(args.export_dir):
            raise UserError("%s: exists and is not a directory (--export-dir)" % args.export_dir)
        data = mnist_idx.load_dataset(data_dir)
        if args.batch_size > data.train.count:
            raise UserError("--batch-size %d, expected at most %d (the training images)"
                            % (args.batch_size, data.train.count))
        _, losses, _ = train(args, data)
        if args.losses_json:
            write_json_atomically(args.losses_json, float32_list(losses))
    except (UserError, mnist_idx.MnistFormatError) as e:
        print("train_tf1.py: error: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("train_tf1.py: error: %s" % e, file=sys.stderr)
        return 1
    except tf.errors.OpError as e:
        print("train_tf1.py: error: %s" % e.message.splitlines()[0], file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("train_tf1.py: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
