"""Imports TensorFlow for the tools with its log kept out of their output.

TF_CPP_MIN_LOG_LEVEL=2 (unless the user set it) hides TensorFlow's own INFO/WARNING lines; absl,
which prints a few once-per-process lines before anyone can configure it, is quieted by running one
trivial session with file descriptor 2 pointed at /dev/null (as Java's NativeLog does). Python-side
deprecation warnings of tf.compat.v1 go through tf.get_logger(), set to ERROR. A user who sets
TF_CPP_MIN_LOG_LEVEL gets TensorFlow's logging as asked.
"""

import os
import sys

_USER_LEVEL = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

_quieted = False


def child_environment():
    """os.environ as the user had it, for subprocesses: without the level set here."""
    env = dict(os.environ)
    if _USER_LEVEL is None:
        env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def quiet():
    """Once per process: swallows absl's one-time lines unless TF_CPP_MIN_LOG_LEVEL was set."""
    global _quieted
    if _quieted:
        return
    _quieted = True
    if _USER_LEVEL is not None:
        return
    tf.get_logger().setLevel("ERROR")
    sys.stderr.flush()
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, 2)
        graph = tf.Graph()
        with graph.as_default():
            one = tf.constant(1.0)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(one)
        if tf.executing_eagerly():
            (tf.constant(1.0) + 1.0).numpy()  # eager context start-up, for the TF2 scripts
    except Exception:  # noqa: BLE001 - whatever went wrong will show again, with stderr back
        pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
