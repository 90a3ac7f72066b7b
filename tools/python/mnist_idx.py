"""MNIST for the Python tools: an IDX reader, TF1's input_data split and Java's batch order.

Everything here mirrors the Java side (package dev.tfmnist.data) so that a Python run sees the
same numbers as a Java run:

- read_images / read_labels: IDX files, gzip-compressed or raw (recognised by the gzip magic, not
  the name), with every header field, the data length and every label checked; problems raise
  MnistFormatError with a one-line message.
- load_dataset: TF1's read_data_sets split: validation = the first 5,000 training images, train =
  the other 55,000, test = the 10,000 test images; pixels float32 = uint8 * float32(1/255) computed
  in float32 (as Java's ``pixel * (float) (1.0 / 255.0)`` and TF1's numpy code); one-hot labels.
- BatchSampler: Java's dev.tfmnist.data.BatchSampler, java.util.Random and all, so both languages
  train on the same batches in the same order.

Only numpy is needed; TensorFlow is not imported here.
"""

import gzip
import os
import struct
import zlib

import numpy as np

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
ROWS = 28
COLUMNS = 28
PIXELS = ROWS * COLUMNS
CLASSES = 10
VALIDATION_SIZE = 5000
SCALE = np.float32(1.0 / 255.0)

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
DEFAULT_DATA_DIR = os.path.join("data", "mnist")


class MnistFormatError(Exception):
    """A file that is missing or not the IDX file it should be; the message is one line."""


def default_data_dir():
    """$MNIST_DIR when set and not blank, else data/mnist (as Java's DataDirectory)."""
    env = os.environ.get("MNIST_DIR", "")
    return env if env.strip() else DEFAULT_DATA_DIR


def locate(data_dir, raw_name):
    """The .gz file, else the raw one, in data_dir; MnistFormatError naming both when neither."""
    for name in (raw_name + ".gz", raw_name):
        path = os.path.join(data_dir, name)
        if os.path.isfile(path):
            return path
    raise MnistFormatError(
        "neither %s.gz nor %s found in %s" % (raw_name, raw_name, data_dir))


def _read_bytes(path):
    """The file's bytes, decompressed when it starts with the gzip magic."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise MnistFormatError("%s: cannot read (%s)" % (path, e.strerror or e)) from e
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data), "decompressed data"
        except (OSError, EOFError, zlib.error) as e:
            raise MnistFormatError(
                "%s: corrupt gzip data (%s), expected a complete gzip stream" % (path, e)) from e
    return data, "file"


def _check_header(path, data, what, header_len, magic, kind):
    if len(data) < header_len:
        found = ("empty " + what) if not data else "%s of %d %s" % (
            what, len(data), "byte" if len(data) == 1 else "bytes")
        raise MnistFormatError("%s: %s, expected at least the %d-byte IDX %s header"
                               % (path, found, header_len, kind))
    found_magic = struct.unpack(">i", data[:4])[0]
    if found_magic != magic:
        hint = (" (an image file?)" if found_magic == IMAGES_MAGIC
                else " (a label file?)" if found_magic == LABELS_MAGIC else "")
        raise MnistFormatError(
            "%s: magic number %d (0x%08x)%s, expected %d (0x%08x) for an IDX %s file"
            % (path, found_magic, found_magic & 0xFFFFFFFF, hint, magic, magic, kind))
    count = struct.unpack(">i", data[4:8])[0]
    if count < 0:
        raise MnistFormatError("%s: negative %s count %d in the header, expected 0 or more"
                               % (path, kind, count))
    return count


def _check_length(path, data, what, header_len, body_len, count, items):
    expected_total = header_len + body_len
    if len(data) < expected_total:
        raise MnistFormatError(
            "%s: truncated: %d bytes of %s after the header, expected %d for the %d %s it declares"
            % (path, len(data) - header_len, items, body_len, count, items))
    if len(data) > expected_total:
        extra = len(data) - expected_total
        raise MnistFormatError(
            "%s: %d trailing %s after the %d %s the header declares, expected the %s to end at"
            " byte %d" % (path, extra, "byte" if extra == 1 else "bytes", count, items, what,
                          expected_total))


def read_images(path):
    """uint8 array [count, 784] of an IDX3 image file (magic 2051) of 28x28 images."""
    data, what = _read_bytes(path)
    count = _check_header(path, data, what, 16, IMAGES_MAGIC, "image")
    rows, columns = struct.unpack(">ii", data[8:16])
    if (rows, columns) != (ROWS, COLUMNS):
        raise MnistFormatError("%s: image size %dx%d, expected %dx%d"
                               % (path, rows, columns, ROWS, COLUMNS))
    _check_length(path, data, what, 16, count * PIXELS, count, "images")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, PIXELS)


def read_labels(path):
    """uint8 array [count] of an IDX1 label file (magic 2049); every label must be 0..9."""
    data, what = _read_bytes(path)
    count = _check_header(path, data, what, 8, LABELS_MAGIC, "label")
    _check_length(path, data, what, 8, count, count, "labels")
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    bad = np.flatnonzero(labels >= CLASSES)
    if bad.size:
        raise MnistFormatError("%s: label %d at index %d, expected 0..%d"
                               % (path, labels[bad[0]], bad[0], CLASSES - 1))
    return labels


def read_pair(images_path, labels_path):
    images = read_images(images_path)
    labels = read_labels(labels_path)
    if len(images) != len(labels):
        raise MnistFormatError(
            "%s: %d images but %s has %d labels, expected the same count in both files"
            % (images_path, len(images), labels_path, len(labels)))
    return images, labels


def to_float(images):
    """uint8 pixels -> float32 in [0, 1], multiplied in float32 by float32(1/255) like Java/TF1."""
    return images.astype(np.float32) * SCALE


def one_hot(labels):
    out = np.zeros((len(labels), CLASSES), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


class Split:
    """One part of the data set: images float32 [n, 784] in [0, 1], labels one-hot float32 [n, 10]."""

    def __init__(self, images_uint8, labels):
        self.images = to_float(images_uint8)
        self.digits = np.asarray(labels, dtype=np.int64)
        self.labels = one_hot(self.digits)

    @property
    def count(self):
        return len(self.digits)

    def batch(self, indices):
        return self.images[indices], self.labels[indices]


class Dataset:
    def __init__(self, train, validation, test):
        self.train = train
        self.validation = validation
        self.test = test


def load_test(data_dir):
    """Only the 10,000 test images (checks and prediction need no training data)."""
    return Split(*read_pair(locate(data_dir, TEST_IMAGES), locate(data_dir, TEST_LABELS)))


def load_dataset(data_dir, validation_size=VALIDATION_SIZE):
    """TF1 input_data's split of the four files in data_dir (each .gz or raw)."""
    paths = [locate(data_dir, name)
             for name in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)]
    train_images, train_labels = read_pair(paths[0], paths[1])
    test_images, test_labels = read_pair(paths[2], paths[3])
    if not 0 <= validation_size < len(train_images):
        raise MnistFormatError("validation size %d, expected 0..%d for %d training images"
                               % (validation_size, len(train_images) - 1, len(train_images)))
    return Dataset(
        train=Split(train_images[validation_size:], train_labels[validation_size:]),
        validation=Split(train_images[:validation_size], train_labels[:validation_size]),
        test=Split(test_images, test_labels))


# ---------------------------------------------------------------------------------------------
# java.util.Random and Java's BatchSampler

_MASK48 = (1 << 48) - 1
_MULTIPLIER = 0x5DEECE66D
_INCREMENT = 0xB


class JavaRandom:
    """java.util.Random as its javadoc specifies it (48-bit LCG); only what the sampler needs."""

    def __init__(self, seed):
        self._state = (seed ^ _MULTIPLIER) & _MASK48

    def next_bits(self, bits):
        self._state = (self._state * _MULTIPLIER + _INCREMENT) & _MASK48
        value = self._state >> (48 - bits)
        # Java returns (int): reinterpret the low 32 bits as signed.
        return value - (1 << 32) if value >= (1 << 31) else value

    def next_int(self, bound):
        if bound <= 0:
            raise ValueError("bound must be positive, got %d" % bound)
        r = self.next_bits(31)
        m = bound - 1
        if bound & m == 0:  # a power of two
            return (bound * r) >> 31
        while True:
            u = r
            r = u % bound
            # Java: u - r + m overflows a signed int (goes negative) -> reject and draw again.
            if u - r + m < (1 << 31):
                return r
            r = self.next_bits(31)


class BatchSampler:
    """TF1 next_batch order over items 0..size-1, exactly as Java's dev.tfmnist.data.BatchSampler.

    One JavaRandom(seed) for the whole run; every shuffle is a Fisher-Yates loop on the current
    order (``for i in n-1..1: j = nextInt(i + 1); swap(i, j)``); the first call shuffles; a batch
    that would run past the end takes the rest, reshuffles in place and completes from the start
    of the new order; a batch that ends exactly at the end does not reshuffle until the next call.
    """

    def __init__(self, size, seed):
        if size < 1:
            raise ValueError("size %d, expected at least 1" % size)
        self.size = size
        self.seed = seed
        self._random = JavaRandom(seed)
        self._order = list(range(size))
        self.epoch = 0
        self.position = 0

    def _shuffle(self):
        order = self._order
        next_int = self._random.next_int
        for i in range(self.size - 1, 0, -1):
            j = next_int(i + 1)
            order[i], order[j] = order[j], order[i]

    def next(self, batch_size):
        """The next batch_size item indices (1 <= batch_size <= size) as an int64 numpy array."""
        if not 1 <= batch_size <= self.size:
            raise ValueError("batch size %d, expected 1..%d (the number of items)"
                             % (batch_size, self.size))
        if self.epoch == 0 and self.position == 0:
            self._shuffle()
        if self.position + batch_size > self.size:
            rest = self._order[self.position:]
            self.epoch += 1
            self._shuffle()
            self.position = batch_size - len(rest)
            batch = rest + self._order[:self.position]
        else:
            batch = self._order[self.position:self.position + batch_size]
            self.position += batch_size
        return np.array(batch, dtype=np.int64)
