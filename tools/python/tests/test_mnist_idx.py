"""mnist_idx's IDX reader and TF1 split on small files made here (and on real MNIST when present).

Run: python -m unittest discover -s tools/python/tests   (needs only numpy)
"""

import gzip
import os
import struct
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import mnist_idx  # noqa: E402
from mnist_idx import MnistFormatError  # noqa: E402


def images_bytes(pixels, count=None, rows=28, columns=28, magic=2051):
    pixels = np.asarray(pixels, dtype=np.uint8)
    count = len(pixels) if count is None else count
    return struct.pack(">iiii", magic, count, rows, columns) + pixels.tobytes()


def labels_bytes(labels, count=None, magic=2049):
    labels = np.asarray(labels, dtype=np.uint8)
    count = len(labels) if count is None else count
    return struct.pack(">ii", magic, count) + labels.tobytes()


class IdxReaderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.rng = np.random.default_rng(0)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data, compress=False):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(gzip.compress(data) if compress else data)
        return path

    def test_reads_raw_and_gzip_alike(self):
        pixels = self.rng.integers(0, 256, (3, 784), dtype=np.uint8)
        raw = mnist_idx.read_images(self.write("raw", images_bytes(pixels)))
        # compressed but named without .gz: recognised by the magic bytes
        packed = mnist_idx.read_images(self.write("packed", images_bytes(pixels), compress=True))
        np.testing.assert_array_equal(raw, pixels)
        np.testing.assert_array_equal(packed, pixels)
        labels = mnist_idx.read_labels(self.write("l.gz", labels_bytes([0, 9, 5]), compress=True))
        self.assertEqual(labels.tolist(), [0, 9, 5])

    def assertFormatError(self, reader, data, fragment, compress=False):
        path = self.write("bad", data, compress)
        with self.assertRaises(MnistFormatError) as caught:
            reader(path)
        message = str(caught.exception)
        self.assertIn(fragment, message)
        self.assertNotIn("\n", message)
        self.assertTrue(message.startswith(path), message)

    def test_refuses_wrong_magic_with_a_hint(self):
        self.assertFormatError(mnist_idx.read_images, labels_bytes(np.arange(20) % 10),
                               "magic number 2049 (0x00000801) (a label file?), expected 2051")
        self.assertFormatError(mnist_idx.read_labels, images_bytes(np.zeros((1, 784))),
                               "(an image file?), expected 2049")

    def test_refuses_other_image_sizes(self):
        self.assertFormatError(mnist_idx.read_images,
                               images_bytes(np.zeros((1, 32 * 32)), rows=32, columns=32),
                               "image size 32x32, expected 28x28")

    def test_refuses_truncated_and_overlong_files(self):
        data = images_bytes(np.zeros((2, 784)))
        self.assertFormatError(mnist_idx.read_images, data[:-1],
                               "truncated: 1567 bytes of images after the header, expected 1568")
        self.assertFormatError(mnist_idx.read_images, data + b"\0",
                               "1 trailing byte after the 2 images", compress=True)
        self.assertFormatError(mnist_idx.read_images, data[:10], "file of 10 bytes, expected at "
                               "least the 16-byte IDX image header")
        self.assertFormatError(mnist_idx.read_labels, b"", "empty file")

    def test_refuses_negative_counts_and_bad_labels(self):
        self.assertFormatError(mnist_idx.read_labels, labels_bytes([], count=-1),
                               "negative label count -1")
        self.assertFormatError(mnist_idx.read_labels, labels_bytes([3, 10, 2]),
                               "label 10 at index 1, expected 0..9")

    def test_refuses_corrupt_gzip(self):
        data = gzip.compress(labels_bytes([1, 2, 3]))
        self.assertFormatError(mnist_idx.read_labels, data[:-6], "corrupt gzip data")

    def test_missing_files_name_both_forms(self):
        with self.assertRaises(MnistFormatError) as caught:
            mnist_idx.load_dataset(self.dir)
        self.assertIn("neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte found",
                      str(caught.exception))

    def test_split_scaling_and_one_hot_as_tf1(self):
        train_pixels = np.arange(12 * 784, dtype=np.int64).reshape(12, 784) % 256
        train_labels = np.arange(12) % 10
        test_pixels = np.full((2, 784), 255)
        self.write(mnist_idx.TRAIN_IMAGES + ".gz", images_bytes(train_pixels), compress=True)
        self.write(mnist_idx.TRAIN_LABELS, labels_bytes(train_labels))
        self.write(mnist_idx.TEST_IMAGES, images_bytes(test_pixels))
        self.write(mnist_idx.TEST_LABELS + ".gz", labels_bytes([7, 1]), compress=True)
        data = mnist_idx.load_dataset(self.dir, validation_size=5)
        self.assertEqual((data.train.count, data.validation.count, data.test.count), (7, 5, 2))
        # validation is the first 5 training images, train the rest
        self.assertEqual(data.validation.digits.tolist(), [0, 1, 2, 3, 4])
        self.assertEqual(data.train.digits.tolist(), [5, 6, 7, 8, 9, 0, 1])
        self.assertEqual(data.train.images.dtype, np.float32)
        expected = train_pixels[5:].astype(np.float32) * np.float32(1.0 / 255.0)
        np.testing.assert_array_equal(data.train.images, expected)
        self.assertTrue(np.all(data.test.images == np.float32(1.0)))
        np.testing.assert_array_equal(data.test.labels, np.eye(10, dtype=np.float32)[[7, 1]])

    def test_scale_is_a_float32_product(self):
        # Java: pixel * (float) (1.0 / 255.0) in float; differs from pixel / 255f for some values
        pixels = np.arange(256, dtype=np.uint8)
        scaled = mnist_idx.to_float(pixels)
        for p in range(256):
            self.assertEqual(scaled[p], np.float32(np.float32(p) * np.float32(1.0 / 255.0)))
        self.assertNotEqual(scaled.tolist(), (pixels.astype(np.float32) / np.float32(255)).tolist())
        self.assertEqual(scaled[255], 1.0)


class RealMnistTest(unittest.TestCase):
    """On the real files ($MNIST_DIR, else data/mnist): fails, never skips, without them."""

    @classmethod
    def setUpClass(cls):
        cls.dir = mnist_idx.default_data_dir()

    def test_tf1_split_of_real_mnist(self):
        data = mnist_idx.load_dataset(self.dir)
        self.assertEqual((data.train.count, data.validation.count, data.test.count),
                         (55000, 5000, 10000))
        self.assertEqual(data.train.images.shape, (55000, 784))
        all_labels = mnist_idx.read_labels(mnist_idx.locate(self.dir, mnist_idx.TRAIN_LABELS))
        np.testing.assert_array_equal(data.train.digits, all_labels[5000:])
        np.testing.assert_array_equal(data.validation.digits, all_labels[:5000])
        self.assertEqual(data.test.digits[:10].tolist(), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])


if __name__ == "__main__":
    unittest.main()
