#!/usr/bin/env python3
"""Asks a TensorFlow Serving gRPC endpoint about an MNIST model and has it classify test images,
with TensorFlow Serving's own Python client library (PyPI tensorflow-serving-api) and nothing else:
the same code works against TensorFlow Serving (`tensorflow_model_server --port=8500`) and against
any server of its gRPC API.

Usage: tf_serving_client.py --target HOST:PORT --model NAME [--signature NAME] [--count N]
                            [--data-dir DIR] [--timeout SECONDS]

1. ModelService.GetModelStatus: one line per version, `model NAME version V: STATE (ERROR_CODE)`.
2. PredictionService.GetModelMetadata with metadata_field "signature_def": the Any it returns
   unpacked into a SignatureDefMap; per signature `signature NAME (METHOD)`, then its
   `  input KEY: DTYPE SHAPE` and `  output KEY: DTYPE SHAPE` lines (-1 for an unknown size).
3. PredictionService.Predict on the first N MNIST test images ($MNIST_DIR, else data/mnist), 100
   per request, fed to the signature's one input as [n, 784], [n, 28, 28] or [n, 28, 28, 1]
   (whichever it declares; floats in [0, 1], integers 0..255), with output_filter asking only for
   the digits: an integer output of shape [-1] (like `classes`), else the arg max of a float output
   of shape [-1, 10]. Prints `predicted with SIGNATURE/OUTPUT: D D D ...` (the first 100) and,
   last, `accuracy 0.9700 (97 of 100 test images)`.

Exit code 0 when all of that worked, 1 for an error (a gRPC error prints its status code and
details), 2 for a bad command line; errors are one line on stderr.
"""

import argparse
import os
import re
import sys

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import grpc
import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import get_model_metadata_pb2
from tensorflow_serving.apis import get_model_status_pb2
from tensorflow_serving.apis import model_service_pb2_grpc
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

import mnist_idx

tf = tfsetup.tf
PROG = "tf_serving_client.py"
BATCH = 100  # images per Predict request: 314 KB of float32, well under gRPC's 4 MB default
SHOWN = 100  # digits printed
IMAGE = 28


class UserError(Exception):
    """What the user (or the server's model) must fix; the message is one line."""


def target(value):
    """HOST:PORT as grpc.insecure_channel takes it (HOST may be a bracketed IPv6 address)."""
    if not re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):\d{1,5}", value):
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % value)
    return value


def positive(value):
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a positive integer, got %r" % value)
    if number < 1:
        raise argparse.ArgumentTypeError("expected a positive integer, got %d" % number)
    return number


def seconds(value):
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected seconds, got %r" % value)
    if not number > 0:
        raise argparse.ArgumentTypeError("expected seconds > 0, got %r" % value)
    return number


def parser():
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Ask a TensorFlow Serving gRPC endpoint for a model's status and signatures, "
                    "and have it classify MNIST test images (TF Serving's Python client).")
    p.add_argument("--target", required=True, type=target, metavar="HOST:PORT",
                   help="the gRPC endpoint (TF Serving: --port, 8500 by default)")
    p.add_argument("--model", required=True, metavar="NAME", help="model name (TF Serving: "
                   "--model_name)")
    p.add_argument("--signature", default="serving_default", metavar="NAME",
                   help="signature to predict with (default: serving_default)")
    p.add_argument("--count", type=positive, default=100, metavar="N",
                   help="first N test images (default: 100)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="MNIST directory (default: $MNIST_DIR, else data/mnist)")
    p.add_argument("--timeout", type=seconds, default=60.0, metavar="SECONDS",
                   help="deadline of each call (default: 60)")
    return p


def shape_of(tensor_info):
    """A TensorInfo's shape as a list (-1 for unknown sizes), or None for an unknown rank."""
    shape = tensor_info.tensor_shape
    return None if shape.unknown_rank else [d.size for d in shape.dim]


def dtype_of(tensor_info):
    """The TensorInfo's tf.DType, or None (DT_INVALID: e.g. __saved_model_init_op's op output)."""
    try:
        return tf.dtypes.as_dtype(tensor_info.dtype)
    except TypeError:
        return None


def describe(tensor_info):
    dtype = dtype_of(tensor_info)
    shape = shape_of(tensor_info)
    return "%s %s" % (dtype.name if dtype is not None
                      else types_pb2.DataType.Name(tensor_info.dtype)
                      if tensor_info.dtype in types_pb2.DataType.values()
                      else "dtype %d" % tensor_info.dtype,
                      "unknown shape" if shape is None else shape)


def feed_shape(tensor_info):
    """The image layout the input declares, as a shape with n = -1; None when it takes no images."""
    shape = shape_of(tensor_info)
    if shape is None or len(shape) < 2 or shape[0] != -1:
        return None
    for layout in ([IMAGE * IMAGE], [IMAGE, IMAGE], [IMAGE, IMAGE, 1]):
        if len(shape) - 1 == len(layout) and all(d in (-1, w) for d, w in zip(shape[1:], layout)):
            return [-1] + layout
    return None


def digits_output(signature):
    """(key, how) of the output that gives digits: 'classes' (integers) or 'scores' (arg max)."""
    outputs = signature.outputs
    for key in sorted(outputs):
        dtype = dtype_of(outputs[key])
        if dtype is not None and dtype.is_integer and shape_of(outputs[key]) == [-1]:
            return key, "classes"
    for key in sorted(outputs):
        dtype = dtype_of(outputs[key])
        if dtype is not None and dtype.is_floating \
                and shape_of(outputs[key]) == [-1, mnist_idx.CLASSES]:
            return key, "scores"
    return None, None


def one_line(text):
    return " ".join(str(text).split()) or "(no details)"


def model_status(channel, model, timeout):
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = model
    response = stub.GetModelStatus(request, timeout=timeout)
    lines = []
    for status in response.model_version_status:
        state = get_model_status_pb2.ModelVersionStatus.State.Name(status.state)
        codes = status.status.DESCRIPTOR.fields_by_name["error_code"].enum_type.values_by_number
        code = codes[status.status.error_code].name if status.status.error_code in codes \
            else str(status.status.error_code)
        message = status.status.error_message
        lines.append("model %s version %d: %s (%s%s)" % (model, status.version, state, code,
                                                          ": " + one_line(message) if message
                                                          else ""))
    if not lines:
        raise UserError("GetModelStatus of %s listed no version" % model)
    return lines


def signature_defs(stub, model, timeout):
    """The model's SignatureDefMap, from GetModelMetadata's "signature_def" Any."""
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = model
    request.metadata_field.append("signature_def")
    response = stub.GetModelMetadata(request, timeout=timeout)
    if "signature_def" not in response.metadata:
        raise UserError("GetModelMetadata of %s gave no signature_def (it gave: %s)"
                        % (model, ", ".join(sorted(response.metadata)) or "nothing"))
    signatures = get_model_metadata_pb2.SignatureDefMap()
    if not response.metadata["signature_def"].Unpack(signatures):
        raise UserError("GetModelMetadata of %s: signature_def holds a %s, expected a %s"
                        % (model, response.metadata["signature_def"].TypeName(),
                           signatures.DESCRIPTOR.full_name))
    return signatures.signature_def


def predict_digits(stub, args, signature, images):
    """The digits the server predicts for `images` (uint8 [n, 784]), BATCH per request."""
    if len(signature.inputs) != 1:
        raise UserError("signature %s has %d inputs (%s), expected one input of images"
                        % (args.signature, len(signature.inputs),
                           ", ".join(sorted(signature.inputs))))
    key, info = next(iter(signature.inputs.items()))
    shape = feed_shape(info)
    dtype = dtype_of(info)
    if shape is None or dtype is None or not (dtype.is_floating or dtype.is_integer):
        raise UserError("signature %s takes %s %s, expected MNIST images as [-1, 784], "
                        "[-1, 28, 28] or [-1, 28, 28, 1] numbers" % (args.signature, key,
                                                                      describe(info)))
    output, how = digits_output(signature)
    if output is None:
        raise UserError("signature %s has no output of digits (an integer [-1] or a float "
                        "[-1, 10] output): %s" % (args.signature, ", ".join(
                            "%s %s" % (k, describe(v)) for k, v in sorted(
                                signature.outputs.items()))))
    digits = []
    for start in range(0, len(images), BATCH):
        batch = images[start:start + BATCH]
        values = mnist_idx.to_float(batch) if dtype.is_floating else batch
        values = values.reshape([len(batch)] + shape[1:]).astype(dtype.as_numpy_dtype)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = args.model
        request.model_spec.signature_name = args.signature
        request.inputs[key].CopyFrom(tf.make_tensor_proto(values, dtype=dtype))
        request.output_filter.append(output)
        response = stub.Predict(request, timeout=args.timeout)
        if output not in response.outputs:
            raise UserError("Predict gave no output %r (it gave: %s)"
                            % (output, ", ".join(sorted(response.outputs)) or "nothing"))
        answer = tf.make_ndarray(response.outputs[output])
        expected = (len(batch),) if how == "classes" else (len(batch), mnist_idx.CLASSES)
        if answer.shape != expected:
            raise UserError("Predict gave %s of shape %s for %d images, expected %s"
                            % (output, list(answer.shape), len(batch), list(expected)))
        digits.append(answer if how == "classes" else np.argmax(answer, axis=1))
    return np.concatenate(digits).astype(np.int64), output


def main(argv=None):
    args = parser().parse_args(argv)
    tfsetup.quiet()
    try:
        data_dir = args.data_dir or mnist_idx.default_data_dir()
        if not os.path.isdir(data_dir):
            raise UserError("%s: MNIST directory not found (use --data-dir or MNIST_DIR)"
                            % data_dir)
        test = mnist_idx.read_pair(mnist_idx.locate(data_dir, mnist_idx.TEST_IMAGES),
                                   mnist_idx.locate(data_dir, mnist_idx.TEST_LABELS))
        if args.count > len(test[0]):
            raise UserError("--count %d, but %s has %d test images"
                            % (args.count, data_dir, len(test[0])))
        images, labels = test[0][:args.count], test[1][:args.count].astype(np.int64)

        with grpc.insecure_channel(args.target) as channel:
            for line in model_status(channel, args.model, args.timeout):
                print(line)
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            signatures = signature_defs(stub, args.model, args.timeout)
            for name in sorted(signatures):
                signature = signatures[name]
                print("signature %s (%s)" % (name, signature.method_name or "no method name"))
                for key in sorted(signature.inputs):
                    print("  input %s: %s" % (key, describe(signature.inputs[key])))
                for key in sorted(signature.outputs):
                    print("  output %s: %s" % (key, describe(signature.outputs[key])))
            sys.stdout.flush()
            if args.signature not in signatures:
                raise UserError("model %s has no signature %s (it has: %s)" % (
                    args.model, args.signature, ", ".join(sorted(signatures)) or "none"))
            digits, output = predict_digits(stub, args, signatures[args.signature], images)
    except grpc.RpcError as e:
        print("%s: error: %s: %s" % (PROG, e.code().name, one_line(e.details())),
              file=sys.stderr)
        return 1
    except (UserError, mnist_idx.MnistFormatError) as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 1
    correct = int(np.sum(digits == labels))
    shown = " ".join(str(d) for d in digits[:SHOWN])
    print("predicted with %s/%s: %s%s" % (args.signature, output, shown,
                                           " ... (first %d of %d)" % (SHOWN, len(digits))
                                           if len(digits) > SHOWN else ""))
    print("accuracy %.4f (%d of %d test images)" % (correct / len(digits), correct, len(digits)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
