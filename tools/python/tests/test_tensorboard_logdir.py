"""TrainMnist --logdir, read back with TensorBoard's own loaders (tensorboard==2.18.0).

One short run (21 steps, an evaluation every 10) writes into a temporary --logdir with a
--checkpoint-dir, then a --resume run continues it to 41 steps. TensorBoard's EventAccumulator
(size_guidance 0: everything) and EventFileLoader read what TensorFlow's summary ops wrote:
accuracy scalars equal to the printed lines at every evaluation step, a finite loss, the training
graph with the original names, eight variable histograms, each step once after the resume, the model summary and command line as text, images, hparams the hparams plugin parses, and
the original program's curve as the run `original` beside.

TrainMnist runs through Maven (`mvn -q -B -pl src/cli -am compile exec:java`, no install).
MNIST: $MNIST_DIR, else data/mnist; fails without it.
"""

import glob
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.plugins.hparams import api_pb2 as hparams_api_pb2  # noqa: E402
from tensorboard.plugins.hparams import metadata as hparams_metadata  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

from tfsetup import tf  # noqa: E402  (decodes the PNGs)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MNIST = os.environ.get("MNIST_DIR") or os.path.join(ROOT, "data", "mnist")
LINE = re.compile(r"^step (\d+)\s+loss (\S+)\s+accuracy (\d\.\d{4})\s")
VARIABLES = ["conv1/weights", "conv1/biases", "conv2/weights", "conv2/biases",
             "fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases"]


def train_mnist(*args):
    """TrainMnist's output (stdout and stderr), failing the test on a non-zero exit."""
    command = ["mvn", "-q", "-B", "-f", os.path.join(ROOT, "pom.xml"), "-pl", "src/cli", "-am",
               "compile", "exec:java", "-Dexec.args=" + " ".join(args)]
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=900)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    if result.returncode != 0:
        raise AssertionError("TrainMnist %s failed (%d):\n%s" % (" ".join(args), result.returncode, output))
    return output


def printed_accuracies(output):
    return {int(m.group(1)): m.group(3) for m in map(LINE.match, output.splitlines()) if m}


class TensorBoardLogdirTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(MNIST):
            raise AssertionError("MNIST directory %s not found (set MNIST_DIR)" % MNIST)
        cls.tmp = tempfile.mkdtemp(prefix="tb-logdir-")
        cls.logdir = os.path.join(cls.tmp, "logs")
        common = ["--eval-every", "10", "--progress", "none", "--data-dir", MNIST,
                  "--logdir", cls.logdir, "--checkpoint-dir", os.path.join(cls.tmp, "ck"),
                  "--export-dir", os.path.join(cls.tmp, "export")]
        cls.first = train_mnist("--steps", "21", *common)
        runs = glob.glob(os.path.join(cls.logdir, "run-*"))
        if len(runs) != 1:
            raise AssertionError("expected one run directory in %s, got %s" % (cls.logdir, runs))
        cls.run_dir = runs[0]
        cls.first_events = glob.glob(os.path.join(cls.run_dir, "events.out.tfevents.*"))
        cls.resumed = train_mnist("--steps", "41", "--resume", *common)
        cls.accumulator = cls.accumulate()
        cls.original = cls.accumulate(os.path.join(cls.logdir, "original"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def accumulate(cls, run_dir=None):
        guidance = {kind: 0 for kind in (
            event_accumulator.SCALARS, event_accumulator.HISTOGRAMS, event_accumulator.IMAGES,
            event_accumulator.TENSORS, event_accumulator.GRAPH, event_accumulator.AUDIO,
            event_accumulator.COMPRESSED_HISTOGRAMS)}
        accumulator = event_accumulator.EventAccumulator(run_dir or cls.run_dir, size_guidance=guidance)
        accumulator.Reload()
        return accumulator

    def test_the_run_is_a_subdirectory_named_by_the_program(self):
        self.assertIn("TensorBoard events in " + self.run_dir, self.first)
        self.assertTrue(os.path.basename(self.run_dir).startswith("run-"), self.run_dir)
        self.assertEqual(1, len(self.first_events), self.first_events)

    def test_accuracy_scalars_equal_the_printed_lines_at_every_evaluation_step(self):
        printed = printed_accuracies(self.first)
        printed.update(printed_accuracies(self.resumed))
        self.assertEqual([0, 10, 20, 30, 40], sorted(printed))
        written = {e.step: e.value for e in self.accumulator.Scalars("test/accuracy")}
        self.assertEqual(sorted(printed), sorted(written))
        for step, text in printed.items():
            self.assertEqual(text, "%.4f" % written[step], "step %d" % step)
            self.assertAlmostEqual(float(text), written[step], delta=5e-5)

    def test_losses_are_there_and_finite(self):
        train = self.accumulator.Scalars("train/loss")
        self.assertEqual([0, 10, 20, 30, 40], [e.step for e in train])
        printed_loss = {int(m.group(1)): float(m.group(2))
                        for m in map(LINE.match, (self.first + self.resumed).splitlines()) if m}
        for event in train:
            self.assertTrue(math.isfinite(event.value))
            self.assertAlmostEqual(printed_loss[event.step], event.value, delta=5e-5)
        test = self.accumulator.Scalars("test/loss")
        self.assertEqual([0, 10, 20, 30, 40], [e.step for e in test])
        self.assertTrue(all(math.isfinite(e.value) and e.value > 0 for e in test))

    def test_learning_rate_and_speed_at_every_evaluation(self):
        rates = self.accumulator.Scalars("train/learning_rate")
        self.assertEqual([0, 10, 20, 30, 40], [e.step for e in rates])
        self.assertTrue(all(abs(e.value - 1e-4) < 1e-9 for e in rates))
        speeds = self.accumulator.Scalars("train/steps_per_second")
        self.assertEqual([0, 10, 20, 30, 40], [e.step for e in speeds])
        self.assertTrue(all(e.value > 0 for e in speeds))

    def test_the_graph_holds_the_original_names(self):
        graph = self.accumulator.Graph()
        names = {node.name for node in graph.node}
        for name in ["xs", "keep_prob", "conv1/weights", "train_step", "cross_entropy", "accuracy"]:
            self.assertIn(name, names)
        self.assertFalse(any(n.startswith("summaries") for n in names),
                         "the summary ops are not part of the training graph")

    def test_eight_variable_histograms_at_every_evaluation(self):
        self.assertEqual(sorted(VARIABLES + [v + "/gradient" for v in VARIABLES]),
                         sorted(self.accumulator.Tags()["histograms"]))
        for name in VARIABLES:
            events = self.accumulator.Histograms(name)
            self.assertEqual([0, 10, 20, 30, 40], [e.step for e in events], name)
            self.assertGreater(events[0].histogram_value.num, 0)
        fc1 = self.accumulator.Histograms("fc1/weights")[0].histogram_value
        self.assertEqual(3136 * 1024, fc1.num)

    def test_eight_gradient_histograms_at_every_evaluation(self):
        for name in VARIABLES:
            events = self.accumulator.Histograms(name + "/gradient")
            self.assertEqual([0, 10, 20, 30, 40], [e.step for e in events], name)
            weights = self.accumulator.Histograms(name)[0].histogram_value
            for event in events:
                gradient = event.histogram_value
                self.assertEqual(weights.num, gradient.num, name)
                self.assertTrue(math.isfinite(gradient.min) and math.isfinite(gradient.max), name)
                self.assertLess(gradient.min, gradient.max, "%s: a gradient of zeros" % name)

    def test_the_original_programs_curve_is_a_run_beside_written_once(self):
        self.assertEqual(["original", os.path.basename(self.run_dir)],
                         sorted(os.listdir(self.logdir)))
        curve = self.original.Scalars("test/accuracy")
        self.assertEqual(list(range(0, 1000, 50)), [e.step for e in curve])
        self.assertEqual("0.9665", "%.4f" % curve[-1].value)
        files = glob.glob(os.path.join(self.logdir, "original", "events.out.tfevents.*"))
        self.assertEqual(1, len(files), "the resumed run wrote the original curve again: %s" % files)

    def test_text_holds_the_model_summary_and_the_command_line(self):
        for tag in ["run/model_summary", "run/command_line"]:
            self.assertEqual("text", self.accumulator.SummaryMetadata(tag).plugin_data.plugin_name, tag)
        steps = [e.step for e in self.accumulator.Tensors("run/command_line")]
        self.assertEqual([0, 21], steps, "once per start: the new run and the resumed one")
        texts = [tensor_util.make_ndarray(e.tensor_proto).item().decode("utf-8")
                 for e in self.accumulator.Tensors("run/command_line")]
        self.assertTrue(texts[0].strip().startswith("TrainMnist --steps 21"), texts[0])
        self.assertIn("--resume", texts[1])
        summary = tensor_util.make_ndarray(
            self.accumulator.Tensors("run/model_summary")[0].tensor_proto).item().decode("utf-8")
        self.assertIn("conv1 (Conv2D+ReLU)", summary)
        self.assertIn("Total params: 3,274,634", summary)

    def test_images_misclassified_digits_and_conv1_filters_are_decodable_pngs(self):
        # WriteImageSummary names a batch's images as TF1's ImageSummary does: <tag>/image/<i>
        for tag, width in [("test/misclassified/image/0", 8 * 58 + 2),
                           ("conv1/filters/image/0", 8 * 32 + 2)]:
            events = self.accumulator.Images(tag)
            self.assertEqual([0, 10, 20, 30, 40], [e.step for e in events], tag)
            png = events[-1].encoded_image_string
            self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"), tag)
            decoded = tf.io.decode_png(png).numpy()
            self.assertEqual(3, decoded.shape[2], tag)
            self.assertEqual(width, decoded.shape[1], tag)
            self.assertEqual(width, events[-1].width, tag)
            self.assertGreater(decoded.std(), 10, "%s is blank" % tag)

    def test_hparams_read_by_the_hparams_plugins_own_parsers(self):
        content = self.accumulator.PluginTagToContent(hparams_metadata.PLUGIN_NAME)
        self.assertEqual(sorted([hparams_metadata.EXPERIMENT_TAG,
                                 hparams_metadata.SESSION_START_INFO_TAG,
                                 hparams_metadata.SESSION_END_INFO_TAG]), sorted(content))
        experiment = hparams_metadata.parse_experiment_plugin_data(
            content[hparams_metadata.EXPERIMENT_TAG])
        self.assertEqual(["batch_size", "learning_rate", "keep_prob", "seed", "pooling", "padding",
                          "loss", "precision", "steps"], [h.name for h in experiment.hparam_infos])
        self.assertIn("test/accuracy", [m.name.tag for m in experiment.metric_infos])
        start = hparams_metadata.parse_session_start_info_plugin_data(
            content[hparams_metadata.SESSION_START_INFO_TAG])
        values = {k: (v.number_value if v.HasField("number_value") else v.string_value)
                  for k, v in start.hparams.items()}
        self.assertEqual(100, values["batch_size"])
        self.assertAlmostEqual(1e-4, values["learning_rate"], delta=1e-9)
        self.assertEqual(0.5, values["keep_prob"])
        self.assertEqual(1, values["seed"])
        self.assertEqual(("max", "same", "original", "float32"),
                         (values["pooling"], values["padding"], values["loss"], values["precision"]))
        self.assertEqual(21, values["steps"], "the first start's; a resume does not write it again")
        end = hparams_metadata.parse_session_end_info_plugin_data(
            content[hparams_metadata.SESSION_END_INFO_TAG])
        self.assertEqual(hparams_api_pb2.STATUS_SUCCESS, end.status)
        # the metric the HParams tab shows: the last test/accuracy of the run, as printed
        final = re.search(r"final test accuracy (\d\.\d{4})", self.resumed).group(1)
        self.assertEqual(final, "%.4f" % self.accumulator.Scalars("test/accuracy")[-1].value)

    def test_tensorboard_itself_serves_both_runs_and_the_accuracy_tag_over_http(self):
        result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "python", "check_tensorboard.py"),
                                 "--logdir", self.logdir], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=300)
        self.assertEqual(0, result.returncode, result.stdout)
        self.assertIn("run original: test/accuracy", result.stdout)
        self.assertIn("run %s: test/accuracy" % os.path.basename(self.run_dir), result.stdout)

    def test_a_resumed_run_continues_the_same_directory_with_each_step_once(self):
        self.assertIn("resuming from", self.resumed)
        self.assertIn("TensorBoard events in " + self.run_dir, self.resumed)
        files = sorted(glob.glob(os.path.join(self.run_dir, "events.out.tfevents.*")))
        self.assertEqual(2, len(files), files)
        seen = {}
        graphs = 0
        for path in files:
            for event in EventFileLoader(path).Load():
                graphs += event.HasField("graph_def")
                for value in event.summary.value:
                    key = (value.tag, event.step)
                    seen[key] = seen.get(key, 0) + 1
        twice = sorted(key for key, count in seen.items() if count > 1)
        self.assertEqual([], twice)
        self.assertEqual(1, graphs)


if __name__ == "__main__":
    unittest.main()
