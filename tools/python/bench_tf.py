#!/usr/bin/env python3
"""The Python side of tools/bench: the same measurements as Java's dev.tfmnist.bench, in Python TF.

Subcommands (each prints `result KEY VALUE` lines on stdout, and its own peak RSS):

  matmul  GFLOP/s of an n x n float32 MatMul (2 n^3 per product) on seeded random variables, run
          as a target with nothing fed or fetched: the ceiling, as MatMulCeiling does in Java.
  train   training steps of train_tf1.py's graph (imported from train_tf1, not copied: build_model,
          add_training, session_config), batch 100, keep_prob 0.5, the seed-1 batch order and the
          per-step dropout seed, fed as train_tf1.train() feeds them. Time-boxed warm-up
          iterations (excluded), then measured iterations, as JMH does for Java.
  infer   tf.saved_model.load on a SavedModel, serving_default called on `batch` MNIST test images
          (tf.constant in, both outputs .numpy() out, as Java's loader returns Java arrays):
          throughput at each batch size, p50/p99 latency at batch 1.

Thread settings (--intra-op-threads / --inter-op-threads, 0 = TensorFlow's choice) are the ones
tools/bench gives Java too.
"""

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import argparse
import resource
import sys
import time

import numpy as np

import mnist_idx

tf = tfsetup.tf
tf1 = tf.compat.v1

BATCH = 100


def result(key, value):
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer()
                                                and abs(value) < 1e15):
        text = "%d" % value
    else:
        text = "%.6g" % value
    print("result %s %s" % (key, text), flush=True)


def peak_rss_bytes():
    # Linux: ru_maxrss is the peak resident set in KiB, what /proc/self/status calls VmHWM.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def percentile(sorted_values, pct):
    """Nearest rank, as ServingLoad.percentile in Java."""
    if not sorted_values:
        return float("nan")
    rank = int(np.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[max(0, min(len(sorted_values) - 1, rank - 1))]


# ---------------------------------------------------------------------------------------------

def timed_iteration(fn, seconds):
    """Calls fn until `seconds` have passed (the call running then finishes): (calls, seconds),
    a JMH-like time-boxed iteration."""
    start = time.perf_counter()
    deadline = start + seconds
    calls = 0
    while True:
        fn()
        calls += 1
        now = time.perf_counter()
        if now >= deadline:
            return calls, now - start


def cmd_matmul(args):
    import train_tf1
    tf1.disable_eager_execution()
    tfsetup.quiet()
    n = args.size
    graph = tf.Graph()
    with graph.as_default():
        shape = tf.constant([n, n], dtype=tf.int64)
        left = tf1.Variable(tf.raw_ops.RandomUniform(shape=shape, dtype=tf.float32, seed=1,
                                                     seed2=1), use_resource=False)
        right = tf1.Variable(tf.raw_ops.RandomUniform(shape=shape, dtype=tf.float32, seed=1,
                                                      seed2=2), use_resource=False)
        product = tf.linalg.matmul(left, right)
        init = tf1.global_variables_initializer()
    config = train_tf1.session_config(args.intra_op_threads, args.inter_op_threads)
    with tf1.Session(graph=graph, config=config) as session:
        session.run(init)
        for _ in range(args.warmup):
            session.run(product.op)
        seconds = []
        for _ in range(args.reps):
            start = time.perf_counter()
            session.run(product.op)
            seconds.append(time.perf_counter() - start)
    seconds.sort()
    flop = 2.0 * n ** 3
    median = seconds[len(seconds) // 2]
    print("result env.python.tf_version %s" % tf.__version__, flush=True)
    result("ceiling.python.size", n)
    result("ceiling.python.reps", args.reps)
    result("ceiling.python.gflops", flop / median / 1e9)
    result("ceiling.python.gflops_best", flop / seconds[0] / 1e9)
    result("ceiling.python.seconds_median", median)
    result("ceiling.python.rss_bytes", peak_rss_bytes())


# ---------------------------------------------------------------------------------------------

def cmd_train(args):
    import train_tf1
    tf1.disable_eager_execution()
    tfsetup.quiet()
    data = mnist_idx.load_dataset(args.data_dir)
    seed = 1
    graph = tf.Graph()
    with graph.as_default():
        m = train_tf1.add_training(train_tf1.build_model(seed), 1e-4, "original")
        init = tf1.global_variables_initializer()
    config = train_tf1.session_config(args.intra_op_threads, args.inter_op_threads)
    with tf1.Session(graph=graph, config=config) as session:
        session.run(init)
        sampler = mnist_idx.BatchSampler(data.train.count, seed)
        keep_prob = np.float32(0.5)
        step = 0

        def one_step():
            nonlocal step
            # exactly train_tf1.train()'s step: next batch, feed, train_step + cross_entropy
            xs, ys = data.train.batch(sampler.next(BATCH))
            _, loss = session.run([m.train_step, m.cross_entropy], feed_dict={
                m.xs: xs, m.ys: ys, m.keep_prob: keep_prob,
                m.dropout_seed: np.array([seed, step], dtype=np.int64)})
            step += 1
            if not np.isfinite(loss):
                raise RuntimeError("loss %r at step %d" % (loss, step))

        def iteration(seconds):
            return timed_iteration(one_step, seconds)

        for _ in range(args.warmup_iterations):
            iteration(args.warmup_seconds)
        ms_per_step = []
        total_steps = 0
        for _ in range(args.iterations):
            steps, seconds = iteration(args.iteration_seconds)
            ms_per_step.append(seconds * 1000.0 / steps)
            total_steps += steps
    mean = float(np.mean(ms_per_step))
    result("train.python.ms_per_step", mean)
    result("train.python.ms_per_step_stdev", float(np.std(ms_per_step)))
    result("train.python.images_per_s", BATCH * 1000.0 / mean)
    result("train.python.steps_measured", total_steps)
    result("train.python.rss_bytes", peak_rss_bytes())


# ---------------------------------------------------------------------------------------------

def cmd_infer(args):
    if args.intra_op_threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op_threads)
    if args.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)
    tfsetup.quiet()
    import savedmodel_util
    test = mnist_idx.load_test(args.data_dir)
    signature = savedmodel_util.Signature(savedmodel_util.resolve(args.model))
    function = signature.function
    key = signature.input_key
    outputs = list(signature.outputs)

    def call_with(images):
        batch = images.reshape([-1] + signature.item_shape)

        def call():
            out = function(**{key: tf.constant(batch)})
            return [out[name].numpy() for name in outputs]
        return call

    iteration = timed_iteration

    for batch in args.batches:
        call = call_with(np.ascontiguousarray(test.images[:batch], dtype=np.float32))
        for _ in range(args.warmup_iterations):
            iteration(call, args.iteration_seconds)
        rates = []
        for _ in range(args.iterations):
            calls, seconds = iteration(call, args.iteration_seconds)
            rates.append(calls / seconds)
        rate = float(np.mean(rates))
        result("infer.python.b%d.calls_per_s" % batch, rate)
        result("infer.python.b%d.images_per_s" % batch, rate * batch)

    # latency at batch 1: every call timed, after the same warm-up
    call = call_with(np.ascontiguousarray(test.images[:1], dtype=np.float32))
    for _ in range(args.warmup_iterations):
        iteration(call, args.iteration_seconds)
    samples = []
    deadline = time.perf_counter() + args.iterations * args.iteration_seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    result("infer.python.b1.p50_ms", percentile(samples, 50) / 1e6)
    result("infer.python.b1.p99_ms", percentile(samples, 99) / 1e6)
    result("infer.python.b1.mean_ms", float(np.mean(samples)) / 1e6)
    result("infer.python.b1.samples", len(samples))
    result("infer.python.rss_bytes", peak_rss_bytes())


# ---------------------------------------------------------------------------------------------

def cmd_profile(args):
    """TensorFlow's per-op trace (FULL_TRACE) of traced steps, summed by op type, as Java's
    StepProfile prints it: where a training step (or a forward pass) spends its time."""
    import collections
    import train_tf1
    tf1.disable_eager_execution()
    tfsetup.quiet()
    data = mnist_idx.load_dataset(args.data_dir)
    graph = tf.Graph()
    with graph.as_default():
        m = train_tf1.add_training(train_tf1.build_model(1), 1e-4, "original")
        init = tf1.global_variables_initializer()
    types = {op.name: op.type for op in graph.get_operations()}
    config = train_tf1.session_config(args.intra_op_threads, args.inter_op_threads)
    options = tf1.RunOptions(trace_level=tf1.RunOptions.FULL_TRACE)
    by_op = collections.defaultdict(lambda: [0, 0])
    wall = 0.0
    with tf1.Session(graph=graph, config=config) as session:
        session.run(init)
        sampler = mnist_idx.BatchSampler(data.train.count, 1)
        for step in range(20 + args.steps):
            xs, ys = data.train.batch(sampler.next(args.batch))
            if args.what == "train":
                fetches = [m.train_step, m.cross_entropy]
                feed = {m.xs: xs, m.ys: ys, m.keep_prob: np.float32(0.5),
                        m.dropout_seed: np.array([1, step], dtype=np.int64)}
            else:
                fetches = [m.prediction, m.classes]
                feed = {m.xs: xs}
            if step < 20:
                session.run(fetches, feed_dict=feed)
                continue
            metadata = tf1.RunMetadata()
            t0 = time.perf_counter()
            session.run(fetches, feed_dict=feed, options=options, run_metadata=metadata)
            wall += time.perf_counter() - t0
            for device in metadata.step_stats.dev_stats:
                for node in device.node_stats:
                    kind = types.get(node.node_name, node.node_name.split(":")[0])
                    if args.by == "node":
                        kind += " " + node.node_name
                    by_op[kind][0] += node.op_end_rel_micros - node.op_start_rel_micros
                    by_op[kind][1] += 1
    total = sum(v[0] for v in by_op.values())
    n = args.steps
    print("profile %s batch %d: %.2f ms wall per step, %.2f ms of op time per step (summed over "
          "threads)" % (args.what, args.batch, wall / n * 1e3, total / n / 1e3))
    for kind, (micros, count) in sorted(by_op.items(), key=lambda kv: -kv[1][0]):
        if micros / n / 1e3 < 0.05:
            continue
        print("  %-40s %8.2f ms/step  %5.1f%%  %4d ops/step" % (
            kind, micros / n / 1e3, 100.0 * micros / total, count // n))


# ---------------------------------------------------------------------------------------------

def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1, got %d" % value)
    return value


def _nonnegative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more, got %d" % value)
    return value


def parser():
    p = argparse.ArgumentParser(prog="bench_tf.py",
                                description="Python measurements for tools/bench.")
    sub = p.add_subparsers(dest="command", required=True)

    def threads(q):
        q.add_argument("--intra-op-threads", type=_nonnegative_int, default=0, metavar="N")
        q.add_argument("--inter-op-threads", type=_nonnegative_int, default=0, metavar="N")

    q = sub.add_parser("matmul", help="the MatMul ceiling")
    q.add_argument("--size", type=_positive_int, default=4096)
    q.add_argument("--warmup", type=_nonnegative_int, default=1)
    q.add_argument("--reps", type=_positive_int, default=5)
    threads(q)

    q = sub.add_parser("train", help="training steps of train_tf1.py's graph")
    q.add_argument("--data-dir", required=True)
    q.add_argument("--warmup-iterations", type=_nonnegative_int, default=2)
    q.add_argument("--warmup-seconds", type=float, default=3)
    q.add_argument("--iterations", type=_positive_int, default=5)
    q.add_argument("--iteration-seconds", type=float, default=4)
    threads(q)

    q = sub.add_parser("profile", help="per-op trace of training steps or forward passes")
    q.add_argument("--data-dir", required=True)
    q.add_argument("--what", choices=("train", "infer"), default="train")
    q.add_argument("--batch", type=_positive_int, default=100)
    q.add_argument("--steps", type=_positive_int, default=10)
    q.add_argument("--by", choices=("type", "node"), default="type",
                   help="sum the op times by op type (default) or list every node")
    threads(q)

    q = sub.add_parser("infer", help="tf.saved_model.load inference")
    q.add_argument("--model", required=True)
    q.add_argument("--data-dir", required=True)
    q.add_argument("--batches", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1, 32, 1000])
    q.add_argument("--warmup-iterations", type=_nonnegative_int, default=3)
    q.add_argument("--iterations", type=_positive_int, default=5)
    q.add_argument("--iteration-seconds", type=float, default=2)
    threads(q)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        {"matmul": cmd_matmul, "train": cmd_train, "infer": cmd_infer,
         "profile": cmd_profile}[args.command](args)
    except (mnist_idx.MnistFormatError, OSError) as e:
        print("bench_tf.py: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
