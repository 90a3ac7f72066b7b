"""mnist_idx.BatchSampler and JavaRandom against values printed by the Java implementation.

The expected lists were produced by running dev.tfmnist.data.BatchSampler and java.util.Random
(Java 17) with a one-file program:

    javac -d /tmp/bs src/data/src/main/java/dev/tfmnist/data/BatchSampler*.java
    java -cp /tmp/bs Check.java   # new BatchSampler(55000, 1).next(100) twice, etc.

Run: python -m unittest discover -s tools/python/tests   (needs only numpy)
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from mnist_idx import BatchSampler, JavaRandom  # noqa: E402

# new BatchSampler(55000, 1): first two next(100) batches.
JAVA_55000_SEED1_BATCH0 = [
    20708, 51659, 38327, 46061, 47326, 2867, 20094, 37504, 6613, 2881, 10071, 40492, 11520, 3116,
    18376, 45862, 22739, 46659, 47883, 44362, 30320, 50533, 22067, 45883, 33432, 24771, 3056,
    38353, 13253, 52196, 32627, 36019, 13796, 7285, 42168, 3408, 50764, 46062, 49465, 36270,
    44443, 11071, 5654, 23970, 50788, 5926, 50639, 7963, 47414, 44424, 9455, 6715, 13026, 48972,
    11177, 17704, 48528, 30982, 5968, 18814, 15510, 2887, 39573, 17057, 44417, 22079, 46283,
    2934, 15433, 5445, 32102, 3226, 2257, 44904, 31930, 19058, 49650, 9197, 31000, 54918, 40195,
    49573, 45876, 37979, 35009, 35779, 51038, 42781, 9493, 54180, 41469, 47905, 209, 32544,
    12240, 46136, 2225, 29453, 48948, 51452]
JAVA_55000_SEED1_BATCH1 = [
    40450, 41565, 1195, 39286, 321, 13311, 38472, 43779, 22249, 692, 35778, 39004, 1907, 47319,
    3370, 21803, 3648, 3211, 52375, 32937, 25923, 50697, 31282, 6693, 14859, 45996, 44200, 38878,
    49909, 3731, 44685, 52658, 13405, 33401, 13826, 3757, 37385, 28638, 43421, 43405, 17226,
    12129, 50218, 48801, 33592, 14994, 27595, 38277, 10775, 52029, 7570, 23861, 7183, 1407, 7106,
    38017, 53085, 4396, 16450, 18223, 18292, 49030, 24208, 44761, 36103, 48900, 40440, 31093,
    49666, 36936, 51980, 25305, 8814, 1166, 4425, 43534, 18202, 31990, 10862, 10142, 31829,
    26947, 23582, 18226, 26030, 34281, 53621, 30954, 34286, 31216, 4991, 24908, 47260, 49630,
    40089, 697, 29395, 50891, 39008, 15498]
# new BatchSampler(55000, 1): the first 10 indices of batch 550 (the first of epoch 1).
JAVA_55000_SEED1_BATCH550_HEAD = [22746, 29265, 26065, 127, 14193, 51111, 50613, 30992, 15965, 3424]
# new BatchSampler(10, 1), next(4) six times: (batch, epoch, position) after each call.
JAVA_10_SEED1_BATCH4 = [
    ([6, 9, 7, 8], 0, 4),
    ([4, 2, 0, 3], 0, 8),
    ([1, 5, 6, 5], 1, 2),  # crosses the epoch boundary: 1, 5 from epoch 0, then 6, 5 reshuffled
    ([0, 4, 7, 8], 1, 6),
    ([2, 9, 3, 1], 1, 10),  # ends exactly at the end: no reshuffle yet
    ([6, 9, 0, 5], 2, 4),
]
# new BatchSampler(10, 7), next(5) six times: batches that end exactly at epoch ends.
JAVA_10_SEED7_BATCH5 = [
    ([0, 1, 9, 3, 7], 0, 5),
    ([4, 8, 5, 2, 6], 0, 10),
    ([8, 4, 6, 9, 0], 1, 5),
    ([1, 2, 5, 3, 7], 1, 10),
    ([0, 3, 7, 6, 2], 2, 5),
    ([9, 4, 1, 8, 5], 2, 10),
]
# new Random(-123456789L).nextInt(b) for each bound in turn (powers of two, rejection-prone bounds).
JAVA_RANDOM_BOUNDS = [1, 2, 3, 7, 16, 1000, 55000, 1 << 30, (1 << 30) + 1, 2**31 - 1]
JAVA_RANDOM_VALUES = [0, 1, 1, 3, 7, 788, 22026, 679319638, 95090798, 722141591]


class BatchOrderTest(unittest.TestCase):
    def test_first_two_batches_of_the_original_run(self):
        sampler = BatchSampler(55000, 1)
        self.assertEqual(sampler.next(100).tolist(), JAVA_55000_SEED1_BATCH0)
        self.assertEqual(sampler.next(100).tolist(), JAVA_55000_SEED1_BATCH1)

    def test_first_batch_of_the_second_epoch(self):
        sampler = BatchSampler(55000, 1)
        for _ in range(550):
            sampler.next(100)
        self.assertEqual((sampler.epoch, sampler.position), (0, 55000))
        self.assertEqual(sampler.next(100)[:10].tolist(), JAVA_55000_SEED1_BATCH550_HEAD)
        self.assertEqual((sampler.epoch, sampler.position), (1, 100))

    def test_batch_across_an_epoch_boundary(self):
        sampler = BatchSampler(10, 1)
        for batch, epoch, position in JAVA_10_SEED1_BATCH4:
            self.assertEqual(sampler.next(4).tolist(), batch)
            self.assertEqual((sampler.epoch, sampler.position), (epoch, position))

    def test_batches_ending_exactly_at_epoch_ends(self):
        sampler = BatchSampler(10, 7)
        for batch, epoch, position in JAVA_10_SEED7_BATCH5:
            self.assertEqual(sampler.next(5).tolist(), batch)
            self.assertEqual((sampler.epoch, sampler.position), (epoch, position))

    def test_java_random_next_int(self):
        random = JavaRandom(-123456789)
        self.assertEqual([random.next_int(b) for b in JAVA_RANDOM_BOUNDS], JAVA_RANDOM_VALUES)

    def test_batch_size_out_of_range_is_refused(self):
        sampler = BatchSampler(10, 1)
        with self.assertRaises(ValueError):
            sampler.next(0)
        with self.assertRaises(ValueError):
            sampler.next(11)


if __name__ == "__main__":
    unittest.main()
