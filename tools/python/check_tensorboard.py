"""Starts TensorBoard (the venv's, tensorboard==2.18.0) on a loopback port over a TrainMnist
--logdir and checks through its HTTP data API that the runs and the accuracy tag are there.

Usage: check_tensorboard.py --logdir DIR [--run NAME]... [--tag TAG]...
  (defaults: every run has test/accuracy; the runs must include 'original' and one run-*)
Prints one line per run with its scalar tags; exit 0 when all is found, 1 otherwise, 2 for bad
arguments. TensorBoard is stopped before it returns.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

READY = re.compile(r"TensorBoard \S+ at (http://\S+?)/? ")


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def start_tensorboard(logdir, timeout=120):
    """(process, base URL): TensorBoard on 127.0.0.1, a port the system picks."""
    command = [os.path.join(os.path.dirname(sys.executable), "tensorboard"), "--logdir", logdir,
               "--host", "127.0.0.1", "--port", "0", "--reload_interval", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + timeout
    output = []
    for line in process.stdout:
        output.append(line)
        match = READY.search(line)
        if match:
            return process, match.group(1)
        if time.time() > deadline:
            break
    process.kill()
    process.wait()
    raise RuntimeError("TensorBoard did not start:\n" + "".join(output))


def check(base, expected_runs, tag):
    """Problems found, as lines; empty when every expected run has `tag`."""
    problems = []
    deadline = time.time() + 60
    while True:  # the first load of the logdir happens in the background
        runs = fetch(base + "/data/runs")
        tags = fetch(base + "/data/plugin/scalars/tags")
        if all(tag in tags.get(run, {}) for run in expected_runs(runs)) or time.time() > deadline:
            break
        time.sleep(1)
    for run in sorted(tags):
        print("check_tensorboard.py: run %s: %s" % (run, ", ".join(sorted(tags[run]))))
    for run in expected_runs(runs):
        if tag not in tags.get(run, {}):
            problems.append("run %s has no %s" % (run, tag))
    return problems


def main(argv=None):
    p = argparse.ArgumentParser(prog="check_tensorboard.py")
    p.add_argument("--logdir", required=True)
    p.add_argument("--run", action="append", default=[], help="a run that must be there")
    p.add_argument("--tag", default="test/accuracy")
    args = p.parse_args(argv)
    if not os.path.isdir(args.logdir):
        p.error("--logdir %s is not a directory" % args.logdir)

    def expected_runs(runs):
        if args.run:
            return list(args.run)
        return ["original"] + (sorted(r for r in runs if r.startswith("run-")) or ["run-*"])

    process, base = start_tensorboard(args.logdir)
    try:
        problems = check(base, expected_runs, args.tag)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for problem in problems:
        print("check_tensorboard.py: error: %s" % problem, file=sys.stderr)
    if not problems:
        print("check_tensorboard.py: %s has the runs and %s through TensorBoard's HTTP API at %s"
              % (args.logdir, args.tag, base))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
