#!/usr/bin/env python3
"""Helpers of tools/bench (standard library only).

  bench_report.py measure --key KEY --out FILE -- COMMAND...
      Runs COMMAND with its stdout going to FILE (stderr untouched), then prints
      `result KEY.wall_s SECONDS` and `result KEY.rss_bytes BYTES`: the process's wall time and
      its peak resident set (ru_maxrss from wait4, which is VmHWM for a process that starts no
      children). Exits with COMMAND's exit code.

  bench_report.py table --results FILE [--mode quick|full] [...]
      Reads the `result KEY VALUE` lines tools/bench collected and prints the table, then the
      `ratio NAME X` lines.
"""

import argparse
import datetime
import os
import platform
import subprocess
import statistics
import sys
import time

# FLOP counts of the model, used for every "% of ceiling" figure.
TRAIN_STEP_GFLOP = 8.2          # one training step of 100 images (forward + backward + Adam)
FORWARD_MFLOP_PER_IMAGE = 27.8  # one image through the network, forward only
TEST_IMAGES = 10000
JOB_STEPS = 1000
JOB_EVALS = 20                  # evaluations at steps 0, 50, ..., 950


# ---------------------------------------------------------------------------------------------
# measure

def cmd_measure(args):
    command = args.command
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("bench_report.py measure: no command", file=sys.stderr)
        return 2
    with open(args.out, "wb") as out:
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    print("result %s.wall_s %.3f" % (args.key, wall))
    print("result %s.rss_bytes %d" % (args.key, usage.ru_maxrss * 1024))
    return process.returncode if process.returncode >= 0 else 128 - process.returncode


# ---------------------------------------------------------------------------------------------
# table

def read_results(path):
    """Result lines as a dict. A key reported more than once (training runs in alternating
    rounds, Java then Python, so that a slow spell of the machine hits both) gives the median of
    its values; KEY.rounds says how many there were."""
    lists = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "result":
                try:
                    value = float(parts[2])
                except ValueError:
                    value = parts[2]
                lists.setdefault(parts[1], []).append(value)
    values = {}
    for key, seen in lists.items():
        numbers = [x for x in seen if isinstance(x, float)]
        values[key] = statistics.median(numbers) if len(numbers) == len(seen) else seen[-1]
        values[key + ".rounds"] = len(seen)
    return values


def fmt_num(x, digits=3):
    """Three significant digits, thousands grouped, no exponent."""
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if x != x:  # NaN
        return "nan"
    ax = abs(x)
    if ax >= 100:
        return "{:,.0f}".format(x)
    if ax >= 10:
        return "%.1f" % x
    if ax >= 1:
        return "%.2f" % x
    return "%.3f" % x


def fmt_bytes(b):
    if b is None:
        return "-"
    if b >= 1e9:
        return "%.2f GB" % (b / 1e9)
    return "%.0f MB" % (b / 1e6)


def fmt_pct(x):
    return "-" if x is None else "%.0f%%" % (100 * x)


def fmt_ratio(x):
    return "-" if x is None else "%.2fx" % x


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def mem_total():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return "%.0f GB RAM" % (int(line.split()[1]) * 1024 / 1e9)
    except OSError:
        pass
    return "unknown RAM"


def render(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        cells = []
        for i, c in enumerate(r):
            c = str(c)
            # text columns left, numbers right
            cells.append(c.ljust(widths[i]) if i in (0, 1, len(r) - 1, len(r) - 2)
                         else c.rjust(widths[i]))
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def cmd_table(args):
    v = read_results(args.results)
    g = v.get
    quick = args.mode == "quick"
    ceiling = g("ceiling.java.gflops")
    if ceiling is None:
        print("bench_report.py: no ceiling.java.gflops in %s" % args.results, file=sys.stderr)
        return 1
    ceil_flops = ceiling * 1e9

    def of_ceiling_train(images_per_s):
        if images_per_s is None:
            return None
        return images_per_s / 100.0 * TRAIN_STEP_GFLOP * 1e9 / ceil_flops

    def of_ceiling_forward(images_per_s):
        if images_per_s is None:
            return None
        return images_per_s * FORWARD_MFLOP_PER_IMAGE * 1e6 / ceil_flops

    def ratio(a, b):
        if a is None or b is None or b == 0:
            return None
        return a / b

    def busy(*steps):
        """A warning for the notes when other processes took CPU during these steps."""
        shares = [g("env.other_cpu_pct." + step) for step in steps]
        shares = [x for x in shares if x is not None]
        worst = max(shares) if shares else 0
        return "; ** others used %.0f%% of the CPU meanwhile **" % worst if worst > 3 else ""

    header = ["measurement", "unit", "Java", "Python", "ratio (>1: Java ahead)",
              "Java % ceiling", "Python % ceiling", "Java peak RSS", "Python peak RSS",
              "target", "notes"]
    rows = [header]
    ratios = []

    # ceiling
    rows.append(["ceiling: %dx%d float32 MatMul" % (g("ceiling.java.size", 4096), g("ceiling.java.size", 4096)),
                 "GFLOP/s", fmt_num(ceiling), fmt_num(g("ceiling.python.gflops")),
                 fmt_ratio(ratio(ceiling, g("ceiling.python.gflops"))),
                 "100%", fmt_pct(ratio(g("ceiling.python.gflops"), ceiling)),
                 fmt_bytes(g("ceiling.java.rss_bytes")), fmt_bytes(g("ceiling.python.rss_bytes")),
                 "(~220 GFLOP/s)",
                 "median of %d reps, best %s%s" % (
                     g("ceiling.java.reps", 0), fmt_num(g("ceiling.java.gflops_best")),
                     "; again at the end: %s" % fmt_num(g("ceiling.java.end.gflops"))
                     if g("ceiling.java.end.gflops") else "") + busy("ceiling-java", "ceiling-python")])

    # training
    jt = g("train.java.trainer.images_per_s")
    pt = g("train.python.images_per_s")
    rows.append(["training, batch 100, keep_prob 0.5", "images/s", fmt_num(jt), fmt_num(pt),
                 fmt_ratio(ratio(jt, pt)), fmt_pct(of_ceiling_train(jt)),
                 fmt_pct(of_ceiling_train(pt)), fmt_bytes(g("train.java.rss_bytes")),
                 fmt_bytes(g("train.python.rss_bytes")), ">=1.0x, >75%",
                 "%s vs %s ms/step (median of %d alternating rounds); %d / %d steps measured after warm-up, per round" % (
                     fmt_num(g("train.java.trainer.ms_per_step")), fmt_num(g("train.python.ms_per_step")),
                     int(g("train.java.trainer.ms_per_step.rounds", 1)),
                     g("train.java.trainer.steps_measured", 0) or 0,
                     g("train.python.steps_measured", 0) or 0) + busy("train-java", "train-python")])
    ratios.append(("training", ratio(jt, pt), "Java images/s over Python's"))
    jtb = g("train.java.trainer_bf16.images_per_s")
    if jtb is not None:
        rows.append(["  the same Java steps in mixed_bfloat16", "images/s", fmt_num(jtb), "-",
                     fmt_ratio(ratio(jtb, pt)), "", "", fmt_bytes(g("train.java_bf16.rss_bytes")), "", "",
                     "%s ms/step, %s float32's speed; ratio against Python float32" % (
                         fmt_num(g("train.java.trainer_bf16.ms_per_step")), fmt_ratio(ratio(jtb, jt)))
                     + busy("train-java-bf16")])
        ratios.append(("training-bf16-vs-float32", ratio(jtb, jt), "Java mixed_bfloat16 images/s over Java float32's"))
    for impl, what in (("reuse", "prototype: reused input tensors"),):
        jr = g("train.java.%s.images_per_s" % impl)
        if jr is not None:
            rows.append(["  " + what, "images/s", fmt_num(jr), "-",
                         fmt_ratio(ratio(jr, pt)), fmt_pct(of_ceiling_train(jr)), "-", "", "", "",
                         "%s ms/step; vs MnistTrainer: %s" % (
                             fmt_num(g("train.java.%s.ms_per_step" % impl)), fmt_ratio(ratio(jr, jt)))
                         + busy("train-java")])

    # the whole job
    steps = g("job.steps", JOB_STEPS)
    evals = g("job.evals", JOB_EVALS)
    def floor_s(steps, evals):
        """Seconds the job's FLOPs take at the ceiling."""
        gflop = steps * TRAIN_STEP_GFLOP + evals * TEST_IMAGES * FORWARD_MFLOP_PER_IMAGE / 1000
        return gflop * 1e9 / ceil_flops

    floor = floor_s(steps, evals)
    jw = g("job.java.wall_s")
    pw = g("job.python.wall_s")
    label = "job wall time: %d steps + %d evaluations" % (steps, evals)
    if quick:
        label += " (quick: 1/%g of the job)" % (JOB_STEPS / steps)
    rows.append([label, "s", fmt_num(jw), fmt_num(pw), fmt_ratio(ratio(pw, jw)),
                 fmt_pct(ratio(floor, jw)), fmt_pct(ratio(floor, pw)),
                 fmt_bytes(g("job.java.rss_bytes")), fmt_bytes(g("job.python.rss_bytes")),
                 "Java <= Python; <=1.2x floor",
                 "ratio = Python wall / Java wall; FLOP floor %s s; Java %s floor, Python %s; "
                 "whole process: start-up, data, training, evaluations, final evaluation, export"
                 % (fmt_num(floor), fmt_ratio(ratio(jw, floor)), fmt_ratio(ratio(pw, floor)))
                 + busy("job-java", "job-python")])
    ratios.append(("job-wall-time", ratio(pw, jw), "Python wall time over Java's"))
    jl = g("job.java_logdir.wall_s")
    if jl is not None:
        rows.append(["  the same Java job with --logdir (TensorBoard)", "s", fmt_num(jl), "-",
                     fmt_ratio(ratio(jw, jl)), "", "", fmt_bytes(g("job.java_logdir.rss_bytes")),
                     "", ">=0.97x",
                     "ratio = wall without --logdir / wall with it: scalars, 16 histograms, "
                     "2 images per evaluation" + busy("job-java-logdir")])
        ratios.append(("job-logdir-vs-plain", ratio(jw, jl), "TrainMnist's wall time without --logdir over with it"))

    # the whole job against the original program itself
    jo = g("original.trainmnist.wall_s")
    po = g("original.seed_program.wall_s")
    if jo is not None or po is not None:
        full_floor = floor_s(JOB_STEPS, JOB_EVALS)
        rows.append(["whole job: TrainMnist (defaults) vs seed_program.py unmodified", "s",
                     fmt_num(jo), fmt_num(po), fmt_ratio(ratio(po, jo)),
                     fmt_pct(ratio(full_floor, jo)), fmt_pct(ratio(full_floor, po)),
                     fmt_bytes(g("original.trainmnist.rss_bytes")),
                     fmt_bytes(g("original.seed_program.rss_bytes")), ">=1.25x",
                     "ratio = original wall / Java wall, medians of %d alternating rounds; final "
                     "accuracy %s vs %s (the original seeds nothing); FLOP floor %s s"
                     % (int(g("original.trainmnist.wall_s.rounds", 1)),
                        fmt_num(g("original.trainmnist.final_accuracy")),
                        fmt_num(g("original.seed_program.final_accuracy")), fmt_num(full_floor))
                     + busy("original-java-r1", "original-python-r1")])
        ratios.append(("job-vs-original", ratio(po, jo), "the original program's wall time over TrainMnist's"))
    jb = g("original.trainmnist_bf16.wall_s")
    if jb is not None:
        rows.append(["  TrainMnist --precision mixed_bfloat16 vs seed_program.py unmodified", "s",
                     fmt_num(jb), fmt_num(po), fmt_ratio(ratio(po, jb)), "", "",
                     fmt_bytes(g("original.trainmnist_bf16.rss_bytes")), "", ">=1.6x",
                     "medians of %d rounds alternating with the two above; final accuracy %s "
                     "(float32: %s)" % (int(g("original.trainmnist_bf16.wall_s.rounds", 1)),
                                        fmt_num(g("original.trainmnist_bf16.final_accuracy")),
                                        fmt_num(g("original.trainmnist.final_accuracy")))
                     + busy("original-java-bf16-r1")])
        ratios.append(("job-vs-original-bf16", ratio(po, jb),
                       "the original program's wall time over TrainMnist's in mixed_bfloat16"))
    elif g("env.cpu_bf16") == 0:
        rows.append(["  TrainMnist --precision mixed_bfloat16", "s", "-", "-", "", "", "", "", "", "",
                     "not measured: this CPU has no bfloat16 instructions (avx512_bf16, amx_bf16), "
                     "so oneDNN computes float32 either way"])

    # in-process inference
    for batch in (1, 32, 1000):
        ji = g("infer.java.predict.b%d.images_per_s" % batch)
        pi = g("infer.python.b%d.images_per_s" % batch)
        rows.append(["inference, batch %d" % batch, "images/s", fmt_num(ji), fmt_num(pi),
                     fmt_ratio(ratio(ji, pi)), fmt_pct(of_ceiling_forward(ji)),
                     fmt_pct(of_ceiling_forward(pi)),
                     fmt_bytes(g("infer.java.rss.infer-predict-b%d" % batch)),
                     fmt_bytes(g("infer.python.rss_bytes")) if batch == 1000 else "",
                     ">=1.0x" + (", >95%" if batch == 1000 else ""),
                     "%s vs %s calls/s" % (fmt_num(g("infer.java.predict.b%d.calls_per_s" % batch)),
                                           fmt_num(g("infer.python.b%d.calls_per_s" % batch)))
                     + busy("infer-java", "infer-python")])
        ratios.append(("inference-b%d" % batch, ratio(ji, pi), "Java images/s over Python's"))
        jib = g("infer.java.predict_bf16.b%d.images_per_s" % batch)
        if jib is not None:
            rows.append(["  inference, batch %d, Java in mixed_bfloat16" % batch, "images/s",
                         fmt_num(jib), fmt_num(pi), fmt_ratio(ratio(jib, pi)), "", "",
                         fmt_bytes(g("infer.java.predict_bf16.rss_bytes")), "", ">=2x",
                         "ratio against Python float32; %s Java float32's" % fmt_ratio(ratio(jib, ji))
                         + busy("infer-java-bf16")])
            ratios.append(("inference-b%d-bf16" % batch, ratio(jib, pi),
                           "Java mixed_bfloat16 images/s over Python float32's"))
        for api, what in (("tensor", "raw tensor in, reused"), ("probabilities", "fetch probabilities only")):
            jp = g("infer.java.%s.b%d.images_per_s" % (api, batch))
            if jp is not None:
                rows.append(["  prototype: %s" % what, "images/s", fmt_num(jp), "-",
                             fmt_ratio(ratio(jp, pi)), fmt_pct(of_ceiling_forward(jp)), "-", "",
                             "", "", "vs Predictor.predict: %s" % fmt_ratio(ratio(jp, ji))
                             + busy("infer-java-prototypes")])
    for pct in (50, 99):
        jl = g("infer.java.predict.b1.p%d_ms" % pct)
        pl = g("infer.python.b1.p%d_ms" % pct)
        rows.append(["inference latency, batch 1, p%d" % pct, "ms", fmt_num(jl), fmt_num(pl),
                     fmt_ratio(ratio(pl, jl)), "", "", "", "",
                     "Java < Python" if pct == 50 else "",
                     "ratio = Python / Java; JMH SampleTime (%d samples) vs %d timed calls" % (
                         g("infer.java.predict.b1.samples", 0) or 0,
                         g("infer.python.b1.samples", 0) or 0) + busy("infer-java", "infer-python")])
        ratios.append(("latency-b1-p%d" % pct, ratio(pl, jl), "Python latency over Java's"))

    # serving
    def serving_note(k):
        """Latency, counts, CPU per request and mean batch of one load level."""
        note = "p50 %s ms, p99 %s ms, %d requests, %d errors" % (
            fmt_num(g(k + ".p50_ms")), fmt_num(g(k + ".p99_ms")), g(k + ".requests", 0) or 0,
            g(k + ".errors", 0) or 0)
        if g(k + ".server_cpu_ms_per_request") is not None:
            note += ", CPU ms/request: server %s, load generator %s" % (
                fmt_num(g(k + ".server_cpu_ms_per_request")),
                fmt_num(g(k + ".client_cpu_ms_per_request")))
        if g(k + ".mean_batch") is not None:
            note += ", mean batch %s" % fmt_num(g(k + ".mean_batch"))
        return note

    for mode, flag in (("on", "batching on (no wait)"), ("off", "batching off"),
                       ("timeout", "batching with TF Serving's 1 ms wait")):
        for c in (1, 2, 16, 64):
            k = "serve.java.%s.c%d" % (mode, c)
            rps = g(k + ".rps")
            if rps is None:
                continue
            note = serving_note(k) + busy("serve-" + mode)
            target = (">=2x batching off" if c == 64 else ">=0.95x batching off, p50 no worse") \
                if mode == "on" else ""
            rows.append(["serving, %s, concurrency %d" % (flag, c), "req/s", fmt_num(rps),
                         "n/a", "", fmt_pct(of_ceiling_forward(rps)), "",
                         fmt_bytes(g("serve.java.%s.rss_bytes" % mode)) if c == 1 else "", "",
                         target, note])
    for c in (1, 16, 64):
        k = "serve.java.fastapi.c%d" % c
        fastapi = g(k + ".rps")
        if fastapi is None:
            continue
        on = g("serve.java.on.c%d.rps" % c)
        rows.append(["serving: FastAPI + uvicorn over tf.saved_model.load, concurrency %d" % c,
                     "req/s", fmt_num(on), fmt_num(fastapi), fmt_ratio(ratio(on, fastapi)), "", "",
                     "", fmt_bytes(g("serve.java.fastapi.rss_bytes")) if c == 1 else "",
                     ">=10x at 16, lower p99" if c == 16 else "lower p99",
                     "Java = ServeMnist with batching (above); Python: " + serving_note(k)
                     + busy("serve-fastapi")])
        ratios.append(("serving-c%d-vs-fastapi" % c, ratio(on, fastapi),
                       "ServeMnist's req/s (batching on) over the FastAPI server's"))
        ratios.append(("serving-c%d-vs-fastapi-p99" % c,
                       ratio(g(k + ".p99_ms"), g("serve.java.on.c%d.p99_ms" % c)),
                       "the FastAPI server's p99 latency over ServeMnist's"))
    for c in (1, 16, 64):
        k = "serve.java.grpc.c%d" % c
        if g(k + ".rps") is None:
            continue
        note = serving_note(k) + "; REST at the same level: %s req/s, p50 %s ms" % (
            fmt_num(g("serve.java.on.c%d.rps" % c)), fmt_num(g("serve.java.on.c%d.p50_ms" % c)))
        rows.append(["serving gRPC, batching on, concurrency %d" % c, "req/s",
                     fmt_num(g(k + ".rps")), "n/a", "", fmt_pct(of_ceiling_forward(g(k + ".rps"))),
                     "", "", "", "", note + busy("serve-on")])
    for c in (1, 16):
        k = "serve.java.page.c%d" % c
        if g(k + ".rps") is None:
            continue
        note = serving_note(k) + "; REST :predict (784 floats) at the same level: p50 %s ms, p99 %s" \
            " ms" % (fmt_num(g("serve.java.on.c%d.p50_ms" % c)),
                     fmt_num(g("serve.java.on.c%d.p99_ms" % c)))
        rows.append(["serving the page's path (PNG in, digit out), concurrency %d" % c, "req/s",
                     fmt_num(g(k + ".rps")), "n/a", "", "", "", "", "", "", note + busy("serve-on")])
        ratios.append(("serving-c%d-page-vs-rest-p50" % c,
                       ratio(g("serve.java.on.c%d.p50_ms" % c), g(k + ".p50_ms")),
                       "Java vs Java: REST :predict's p50 latency over the page path's"))
    for c in (1, 2, 16, 64):
        on = g("serve.java.on.c%d.rps" % c)
        off = g("serve.java.off.c%d.rps" % c)
        if on is None or off is None:
            continue
        ratios.append(("serving-c%d-batching-vs-off" % c, ratio(on, off),
                       "Java vs Java: req/s with batching over without"))
        ratios.append(("serving-c%d-batching-vs-off-p50" % c,
                       ratio(g("serve.java.off.c%d.p50_ms" % c), g("serve.java.on.c%d.p50_ms" % c)),
                       "Java vs Java: p50 latency without batching over with it"))
        fixed = g("serve.java.timeout.c%d.rps" % c)
        if fixed is not None:
            ratios.append(("serving-c%d-nowait-vs-timeout" % c, ratio(on, fixed),
                           "Java vs Java: req/s batching without a wait over with TF Serving's 1 ms"))
        grpc = g("serve.java.grpc.c%d.rps" % c)
        if grpc is not None:
            ratios.append(("serving-c%d-grpc-vs-rest" % c, ratio(grpc, on),
                           "Java vs Java: gRPC req/s over REST's, batching on"))

    # Spark
    if g("spark.scoreimages.s") is not None:
        spark_ratio = ratio(g("spark.predictmnist.s"), g("spark.scoreimages.s"))
        rows.append(["Spark local[2]: ScoreImages vs PredictMnist, %d PNG files" % (
                         g("spark.images", 0) or 0), "images/s",
                     fmt_num(g("spark.scoreimages.images_per_s")), "n/a",
                     fmt_ratio(spark_ratio), "", "", "", "", ">=0.8x PredictMnist",
                     "PredictMnist in one process %s images/s; run %d of each, a JVM each (first"
                     " runs: ScoreImages %s s, PredictMnist %s s); session start %s s; %d model"
                     " load(s) in the JVM" % (
                         fmt_num(g("spark.predictmnist.images_per_s")), g("spark.runs", 0) or 0,
                         fmt_num(g("spark.scoreimages.first_s")),
                         fmt_num(g("spark.predictmnist.first_s")),
                         fmt_num(g("spark.session_start_s")), g("spark.model_loads", 0) or 0)
                     + busy("spark-predictmnist", "spark-scoreimages")])
        ratios.append(("spark-vs-predictmnist", spark_ratio,
                       "Java vs Java: ScoreImages on local[2] images/s over PredictMnist's"))

    # versions swapped under load
    if g("versions.cycles") is not None:
        measured = (g("versions.cycles", 0) or 0) - (g("versions.warmup_cycles", 0) or 0)
        rows.append(["version swaps, %d clients, poll %s s" % (
                         g("versions.clients", 0) or 0, fmt_num(g("versions.poll_seconds"))),
                     "s to serve", fmt_num(g("versions.swap_max_s")), "n/a", "", "", "",
                     fmt_bytes(g("versions.rss_max_bytes")), "",
                     "<= 2 s, 0 failed, RSS within 5%",
                     "max over %d renames (p50 %s s); %d requests, %d failed; RSS %s after %d"
                     " warm-up cycles, over the next %d at most %s (%+.1f%%), last %s (%+.1f%%)" % (
                         g("versions.cycles", 0) or 0, fmt_num(g("versions.swap_p50_s")),
                         g("versions.requests", 0) or 0, g("versions.failures", 0) or 0,
                         fmt_bytes(g("versions.rss_first_bytes")),
                         g("versions.warmup_cycles", 0) or 0, measured,
                         fmt_bytes(g("versions.rss_max_bytes")),
                         g("versions.rss_max_growth_pct", 0) or 0,
                         fmt_bytes(g("versions.rss_last_bytes")),
                         g("versions.rss_growth_pct", 0) or 0) + busy("versions")])

    now = datetime.datetime.now().astimezone()
    threads = "intra-op %s, inter-op %s" % (
        args.intra or "0 (TensorFlow's choice)", args.inter or "0 (TensorFlow's choice)")
    print("tools/bench %s, %s" % ("--quick" if quick else "(full)", now.strftime("%Y-%m-%d %H:%M %Z")))
    print("machine: %s, %d cores, %s, %s %s" % (cpu_model(), os.cpu_count() or 0, mem_total(),
                                                 platform.system(), platform.release()))
    print("software: TensorFlow Java %s (TF %s), %s; Python %s, TensorFlow %s" % (
        args.tf_java or "?", g("env.java.tf_version", "?"), args.java or "?",
        args.python or platform.python_version(), g("env.python.tf_version", "?")))
    other = g("env.other_cpu_pct")
    if other is not None:
        print("other processes' share of this machine's CPU during the run: %.1f%%%s" % (
            other, "  ** WARNING: the machine was busy; these numbers are not reliable **"
            if other > 5 else ""))
    print("TensorFlow threads, both languages: %s; ServeMnist: %s" % (threads, args.serve_threads))
    print("FLOP constants: training step of 100 images = %.1f GFLOP, forward = %.1f "
          "MFLOP/image; %% ceiling = achieved FLOP/s over the Java MatMul ceiling (%s GFLOP/s)"
          % (TRAIN_STEP_GFLOP, FORWARD_MFLOP_PER_IMAGE, fmt_num(ceiling)))
    if quick:
        print("quick mode: short JMH/Python iterations, serving %s s per level, job = %d steps + "
              "%d evaluations instead of 1000 + 20 (its FLOP floor scaled to match); one round of "
              "the whole job against the original program"
              % (args.serve_seconds or "?", steps, evals))
    print()
    print(render(rows))
    print()
    print("# ratio lines: higher is better for Java. training, inference-bN: Java/Python "
          "throughput; job-wall-time, latency-*: Python time / Java time; job-vs-original: "
          "seed_program.py's time / TrainMnist's; "
          "serving-*-batching-vs-off: Java with batching / Java without (not a Python comparison)")
    missing = []
    for name, value, _ in ratios:
        if value is None:
            missing.append(name)
            print("ratio %s nan" % name)
        else:
            print("ratio %s %.3f" % (name, value))
    if missing:
        print("bench_report.py: no data for: %s" % ", ".join(missing), file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench_report.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    q = sub.add_parser("measure")
    q.add_argument("--key", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("command", nargs=argparse.REMAINDER)
    q = sub.add_parser("table")
    q.add_argument("--results", required=True)
    q.add_argument("--mode", choices=("quick", "full"), default="full")
    q.add_argument("--intra", default="0")
    q.add_argument("--inter", default="0")
    q.add_argument("--serve-threads", default="TensorFlow's choice")
    q.add_argument("--serve-seconds", default=None)
    q.add_argument("--tf-java", default=None)
    q.add_argument("--java", default=None)
    q.add_argument("--python", default=None)
    args = p.parse_args(argv)
    if args.what == "measure":
        return cmd_measure(args)
    if args.intra == "0":
        args.intra = None
    if args.inter == "0":
        args.inter = None
    return cmd_table(args)


if __name__ == "__main__":
    sys.exit(main())
