#!/usr/bin/env python3
"""Restores a TF checkpoint written by Java (or by train_tf1.py) into train_tf1.py's TF1 graph.

The graph is train_tf1.py's own (imported, not copied): the model plus the training nodes, so a
Java training checkpoint's Adam slots (conv1/weights/Adam, .../Adam_1) and beta1_power/beta2_power
restore too. Every graph variable that the checkpoint has under the same name and shape is
restored; the restored names are listed, then the test accuracy on the 10,000 test images.

Exit codes: 0 restored all eight model variables and evaluated; 1 a model variable is missing or
has the wrong shape, or the checkpoint/data cannot be read; 2 bad command line.

Usage: check_java_checkpoint.py --checkpoint PREFIX [--data-dir DIR]
"""

import argparse
import os
import sys

import mnist_idx
import train_tf1

tf = train_tf1.tf
tf1 = train_tf1.tf1


def parser():
    p = argparse.ArgumentParser(
        prog="check_java_checkpoint.py",
        description="Restores a Java (or Python) TF checkpoint into the TF1 graph of train_tf1.py "
                    "by variable name and reports the test accuracy.")
    p.add_argument("--checkpoint", required=True, metavar="PREFIX",
                   help="checkpoint prefix (PREFIX.index and PREFIX.data-*), e.g. a Java "
                        "training checkpoint or a SavedModel's variables/variables")
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help="MNIST directory (default: $MNIST_DIR, else data/mnist)")
    return p


def check(prefix, data_dir, out=sys.stdout):
    """Returns the accuracy; raises UserError when a model variable cannot be restored."""
    train_tf1.require_checkpoint(prefix)
    try:
        stored = dict(tf.train.list_variables(prefix))
    except (tf.errors.OpError, ValueError) as e:
        raise train_tf1.UserError("%s: not a readable TF checkpoint (%s)"
                                  % (prefix, str(e).splitlines()[0])) from e
    test = mnist_idx.load_test(data_dir)

    graph = tf.Graph()
    with graph.as_default():
        m = train_tf1.add_training(train_tf1.build_model(1), 1e-4)
        graph_variables = {v.op.name: v for v in tf1.global_variables()}
        init = tf1.global_variables_initializer()

    missing = [name for name in train_tf1.VARIABLES if name not in stored]
    if missing:
        raise train_tf1.UserError("%s: model variable%s %s missing from the checkpoint (it has: %s)"
                                  % (prefix, "s" if len(missing) > 1 else "", ", ".join(missing),
                                     ", ".join(sorted(stored)) or "nothing"))
    restorable = {}
    for name, variable in sorted(graph_variables.items()):
        if name not in stored:
            continue
        want = variable.shape.as_list()
        if list(stored[name]) != want:
            raise train_tf1.UserError("%s: variable %s has shape %s, expected %s"
                                      % (prefix, name, list(stored[name]), want))
        restorable[name] = variable

    with graph.as_default():
        saver = tf1.train.Saver(var_list=restorable)
    with tf1.Session(graph=graph) as session:
        session.run(init)
        saver.restore(session, prefix)
        accuracy = train_tf1.evaluate(session, m, test)

    model = [n for n in train_tf1.VARIABLES if n in restorable]
    optimizer = sorted(n for n in restorable if n not in train_tf1.VARIABLES)
    print("checkpoint %s" % prefix, file=out)
    print("restored %d model variables: %s" % (len(model), ", ".join(model)), file=out)
    print("restored %d optimizer variables: %s" % (len(optimizer), ", ".join(optimizer) or "none"),
          file=out)
    not_in_checkpoint = sorted(n for n in graph_variables if n not in restorable)
    if not_in_checkpoint:
        print("left at their initial values (not in the checkpoint): %s"
              % ", ".join(not_in_checkpoint), file=out)
    unknown = sorted(n for n in stored if n not in graph_variables)
    if unknown:
        print("ignored (not in the TF1 graph): %s" % ", ".join(unknown), file=out)
    print("test accuracy %s (%d images)" % (train_tf1.java_fixed(accuracy, 4), test.count),
          file=out)
    return accuracy


def main(argv=None):
    args = parser().parse_args(argv)
    tf1.disable_eager_execution()
    train_tf1.tfsetup.quiet()
    data_dir = args.data_dir if args.data_dir is not None else mnist_idx.default_data_dir()
    try:
        if not os.path.isdir(data_dir):
            raise train_tf1.UserError("%s: MNIST directory not found (use --data-dir or MNIST_DIR)"
                                      % data_dir)
        check(args.checkpoint, data_dir)
    except (train_tf1.UserError, mnist_idx.MnistFormatError, OSError) as e:
        print("check_java_checkpoint.py: error: %s" % e, file=sys.stderr)
        return 1
    except tf.errors.OpError as e:
        print("check_java_checkpoint.py: error: %s" % e.message.splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
