"""Loading a SavedModel's serving_default signature and predicting MNIST images with it (TF2 API).

Works for the Java export (xs float32 [-1, 784] -> probabilities, classes), train_tf1.py's
(the same) and train_keras.py's (images float32 [-1, 28, 28, 1] -> probabilities, classes): the
images are reshaped to whatever non-batch shape the signature's input declares.
"""

import os
import re

import numpy as np

import tfsetup

tf = tfsetup.tf

SIGNATURE_KEY = "serving_default"
_VERSION = re.compile(r"^\d+$")


class SavedModelError(Exception):
    """A directory that is not a usable SavedModel; the message is one line."""


def resolve(path):
    """path itself when it holds saved_model.pb, else its highest integer-named version that does."""
    if not os.path.isdir(path):
        raise SavedModelError("%s: not a directory" % path)
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return path
    versions = sorted((int(name) for name in os.listdir(path)
                       if _VERSION.match(name) and os.path.isdir(os.path.join(path, name))),
                      reverse=True)
    if not versions:
        raise SavedModelError("%s: neither a SavedModel (no saved_model.pb) nor a base directory "
                              "with integer versions" % path)
    model = os.path.join(path, str(versions[0]))
    if not os.path.isfile(os.path.join(model, "saved_model.pb")):
        raise SavedModelError("%s: highest version has no saved_model.pb" % model)
    return model


class Signature:
    """The serving_default function of a loaded SavedModel, with its one input and its outputs."""

    def __init__(self, model_dir, signature_key=SIGNATURE_KEY):
        try:
            self.loaded = tf.saved_model.load(model_dir, tags=["serve"])
        except (OSError, ValueError, RuntimeError, tf.errors.OpError) as e:
            message = getattr(e, "message", None) or str(e)
            raise SavedModelError("%s: cannot load the SavedModel (%s)"
                                  % (model_dir, message.strip().splitlines()[0])) from e
        if signature_key not in self.loaded.signatures:
            raise SavedModelError("%s: no signature %r (it has: %s)" % (
                model_dir, signature_key, ", ".join(sorted(self.loaded.signatures)) or "none"))
        self.key = signature_key
        self.function = self.loaded.signatures[signature_key]
        inputs = self.function.structured_input_signature[1]
        if len(inputs) != 1:
            raise SavedModelError("%s: signature %r has %d inputs (%s), expected one"
                                  % (model_dir, signature_key, len(inputs), ", ".join(inputs)))
        (self.input_key, self.input_spec), = inputs.items()
        if self.input_spec.dtype != tf.float32:
            raise SavedModelError("%s: input %r is %s, expected float32"
                                  % (model_dir, self.input_key, self.input_spec.dtype.name))
        self.outputs = dict(self.function.structured_outputs)
        item_shape = self.input_spec.shape.as_list()[1:]
        if None in item_shape or int(np.prod(item_shape)) != 784:
            raise SavedModelError("%s: input %r has shape %s, expected 784 values per image"
                                  % (model_dir, self.input_key, self.input_spec.shape))
        self.item_shape = item_shape

    def probabilities_key(self):
        """'probabilities' when present, else the only float32 output with 10 columns."""
        if "probabilities" in self.outputs:
            return "probabilities"
        candidates = [k for k, spec in self.outputs.items()
                      if spec.dtype == tf.float32 and spec.shape.as_list()[-1:] == [10]]
        if len(candidates) != 1:
            raise SavedModelError("signature %r: cannot tell which output holds the 10 "
                                  "probabilities (outputs: %s)" % (self.key, ", ".join(self.outputs)))
        return candidates[0]

    def input_shape(self):
        """The input's shape as a list, -1 for the batch dimension."""
        return [-1] + self.item_shape

    def predict(self, images, output_key=None, chunk=1000):
        """float32 [n, 784] images -> that output for all of them, as a numpy array."""
        output_key = output_key or self.probabilities_key()
        parts = []
        for start in range(0, len(images), chunk):
            batch = np.ascontiguousarray(images[start:start + chunk], dtype=np.float32)
            batch = batch.reshape([-1] + self.item_shape)
            parts.append(self.function(**{self.input_key: tf.constant(batch)})[output_key].numpy())
        return np.concatenate(parts)
