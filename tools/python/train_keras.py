#!/usr/bin/env python3
"""The original MNIST CNN as a Keras model, trained with model.fit and exported the TF2 way.

Architecture as the seed program (and the Java port): conv 5x5 1->32 + ReLU, 2x2 max-pool, conv
5x5 32->64 + ReLU, 2x2 max-pool, dense 3136->1024 + ReLU, dropout 0.5, dense 1024->10 softmax;
weights TruncatedNormal(stddev=0.1), biases Constant(0.1); Adam(1e-4) on categorical
cross-entropy; 1000 steps of 100 images from the same 55,000 training images (TF1's split),
seeded with keras.utils.set_random_seed. Unlike the TF1 graph, the model takes images shaped
[-1, 28, 28, 1], so loaders must handle a non-flat input.

The export is tf.saved_model.save of a tf.Module whose serving_default tf.function calls a fresh
inference copy of the model (same layers and weights, no dropout, never compiled): resource
variables, a function-based signature, and no optimizer state. The module tracks only the eight
tf.Variables (see Serving), so the SavedModel also loads in session-based loaders (TensorFlow
Java's SavedModelBundle, TF Serving), not only in Python's tf.saved_model.load.

  serving_default: images float32 [-1, 28, 28, 1] -> probabilities float32 [-1, 10],
                                                     classes int64 [-1]

Usage: train_keras.py [--steps N] [--batch-size N] [--eval-every N] [--seed S] [--data-dir DIR]
                      [--export-dir BASE] [--intra-op-threads N] [--inter-op-threads N]
"""

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

import mnist_idx
import train_tf1  # export helpers (versions, temp dir + rename) and argument parsing

tf = tfsetup.tf

SIGNATURE_INPUT = "images"
INPUT_SHAPE = (28, 28, 1)


def keras_module():
    import keras  # Keras 3, TensorFlow backend
    return keras


def build_model(keras, dropout=True, name="mnist_cnn"):
    """The seed program's network as a Keras functional model on [-1, 28, 28, 1] images."""
    layers = keras.layers
    weights = keras.initializers.TruncatedNormal(stddev=0.1)
    biases = keras.initializers.Constant(0.1)
    images = keras.Input(shape=INPUT_SHAPE, name=SIGNATURE_INPUT)
    x = layers.Conv2D(32, 5, padding="same", activation="relu", kernel_initializer=weights,
                      bias_initializer=biases, name="conv1")(images)
    x = layers.MaxPooling2D(2, padding="same", name="pool1")(x)
    x = layers.Conv2D(64, 5, padding="same", activation="relu", kernel_initializer=weights,
                      bias_initializer=biases, name="conv2")(x)
    x = layers.MaxPooling2D(2, padding="same", name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(1024, activation="relu", kernel_initializer=weights,
                     bias_initializer=biases, name="fc1")(x)
    if dropout:
        x = layers.Dropout(0.5, name="dropout")(x)
    probabilities = layers.Dense(10, activation="softmax", kernel_initializer=weights,
                                 bias_initializer=biases, name="fc2")(x)
    return keras.Model(images, probabilities, name=name)


class Serving(tf.Module):
    """What gets exported: the model's eight tf.Variables and one tf.function, nothing else.

    The module tracks the plain tf.Variables under the Keras variables (model.weights[i].value)
    and reaches the model only through the function's closure. Tracking the Keras model itself
    would save a second VarHandleOp per variable (Keras 3 wraps each tf.Variable), and the
    session-based C++ loader that TensorFlow Java and TF Serving use (LoadSavedModel) would then
    restore one copy while serving_default reads the other: "Could not find variable fc1/bias".
    """

    def __init__(self, model):
        super().__init__(name="mnist")
        self.model_weights = [w.value for w in model.weights]

        @tf.function(input_signature=[
            tf.TensorSpec([None] + list(INPUT_SHAPE), tf.float32, name=SIGNATURE_INPUT)])
        def serve(images):
            probabilities = model(images, training=False)
            return {"probabilities": probabilities,
                    "classes": tf.math.argmax(probabilities, axis=1, output_type=tf.int64)}

        self.serve = serve


def export(keras, trained, base_dir):
    """Saves an uncompiled inference copy of `trained` as the next version under base_dir."""
    inference = build_model(keras, dropout=False, name="mnist_cnn_inference")
    inference.set_weights(trained.get_weights())
    module = Serving(inference)
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as e:
        raise train_tf1.UserError("%s: cannot create the export directory (%s)"
                                  % (base_dir, e.strerror)) from e
    work = tempfile.mkdtemp(prefix=".export-", dir=base_dir)
    try:
        model_dir = os.path.join(work, "model")
        tf.saved_model.save(module, model_dir, signatures={"serving_default": module.serve})
        assets = os.path.join(model_dir, "assets")
        if os.path.isdir(assets) and not os.listdir(assets):
            os.rmdir(assets)  # empty (no assets); git would not keep it anyway
        return train_tf1.move_to_next_version(model_dir, base_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def parser():
    p = argparse.ArgumentParser(
        prog="train_keras.py",
        description="Trains the MNIST CNN as a Keras model with model.fit and exports it with "
                    "tf.saved_model.save (serving_default: images [-1, 28, 28, 1] -> "
                    "probabilities, classes).")
    p.add_argument("--steps", type=train_tf1._int_at_least(1), default=1000, metavar="N",
                   help="training steps (default: 1000)")
    p.add_argument("--batch-size", type=train_tf1._int_at_least(1), default=100, metavar="N",
                   help="images per step (default: 100)")
    p.add_argument("--eval-every", type=train_tf1._int_at_least(1), default=100, metavar="N",
                   help="steps per Keras epoch; the test set is evaluated after each; must divide "
                        "--steps (default: 100)")
    p.add_argument("--seed", type=train_tf1._seed, default=1, metavar="SEED",
                   help="keras.utils.set_random_seed seed (default: 1)")
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help="MNIST directory (default: $MNIST_DIR, else data/mnist)")
    p.add_argument("--export-dir", metavar="BASE", default=os.path.join("savedmodel", "keras"),
                   help="SavedModel base directory; the model becomes its next integer version "
                        "(default: savedmodel/keras)")
    p.add_argument("--intra-op-threads", type=train_tf1._int_at_least(0), default=0, metavar="N",
                   help="TensorFlow intra-op threads (default: 0 = TensorFlow's choice)")
    p.add_argument("--inter-op-threads", type=train_tf1._int_at_least(0), default=0, metavar="N",
                   help="TensorFlow inter-op threads (default: 0 = TensorFlow's choice)")
    return p


def train(args, data, out=sys.stdout):
    keras = keras_module()
    keras.utils.set_random_seed(args.seed % 2**32)
    tf.config.experimental.enable_op_determinism()

    model = build_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    train_images = data.train.images.reshape((-1,) + INPUT_SHAPE)
    test_images = data.test.images.reshape((-1,) + INPUT_SHAPE)
    batches = (tf.data.Dataset.from_tensor_slices((train_images, data.train.labels))
               .shuffle(data.train.count, seed=args.seed % 2**32, reshuffle_each_iteration=True)
               .batch(args.batch_size, drop_remainder=True)
               .repeat())
    start = time.monotonic()

    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            step = (epoch + 1) * args.eval_every - 1
            print("step %-5d mean loss %.4f  accuracy %.4f  %.1f s" % (
                step, logs.get("loss", float("nan")), logs.get("val_accuracy", float("nan")),
                time.monotonic() - start), file=out, flush=True)

    model.fit(batches, epochs=args.steps // args.eval_every, steps_per_epoch=args.eval_every,
              validation_data=(test_images, data.test.labels), validation_batch_size=1000,
              shuffle=False, verbose=0, callbacks=[Report()])
    probabilities = model.predict(test_images, batch_size=1000, verbose=0)
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == data.test.digits))
    print("final test accuracy %.4f" % accuracy, file=out, flush=True)
    exported = export(keras, model, args.export_dir)
    print("SavedModel written to %s" % exported, file=out, flush=True)
    return accuracy, exported


def main(argv=None):
    args = parser().parse_args(argv)
    if args.steps % args.eval_every:
        parser().error("--eval-every %d must divide --steps %d (it is Keras' steps_per_epoch)"
                       % (args.eval_every, args.steps))
    if args.intra_op_threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op_threads)
    if args.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)
    tfsetup.quiet()
    data_dir = args.data_dir if args.data_dir is not None else mnist_idx.default_data_dir()
    try:
        if not os.path.isdir(data_dir):
            raise train_tf1.UserError("%s: MNIST directory not found (use --data-dir or MNIST_DIR)"
                                      % data_dir)
        if os.path.exists(args.export_dir) and not os.path.isdir(args.export_dir):
            raise train_tf1.UserError("%s: exists and is not a directory (--export-dir)"
                                      % args.export_dir)
        data = mnist_idx.load_dataset(data_dir)
        if args.batch_size > data.train.count:
            raise train_tf1.UserError("--batch-size %d, expected at most %d (the training images)"
                                      % (args.batch_size, data.train.count))
        train(args, data)
    except (train_tf1.UserError, mnist_idx.MnistFormatError, OSError) as e:
        print("train_keras.py: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("train_keras.py: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
