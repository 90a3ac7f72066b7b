"""A PNG of TensorBoard's Scalars page over a TrainMnist --logdir, taken in headless Chromium.

Usage: tensorboard_screenshot.py --logdir DIR --out FILE.png [--tag-filter REGEX] [--size WxH]
Starts the venv's TensorBoard on 127.0.0.1 (port 0, as check_tensorboard.py), waits until it
serves the runs, points `chromium --headless` at `#scalars`, and stops TensorBoard. The README's
tools/screenshots/tensorboard-scalars.png comes from it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check_tensorboard  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(prog="tensorboard_screenshot.py")
    p.add_argument("--logdir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--tag-filter", default="accuracy|loss")
    p.add_argument("--size", default="1400,1000")
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = p.parse_args(argv)
    if not os.path.isdir(args.logdir):
        p.error("--logdir %s is not a directory" % args.logdir)
    process, base = check_tensorboard.start_tensorboard(args.logdir)
    try:
        deadline = time.time() + 60
        while not check_tensorboard.fetch(base + "/data/plugin/scalars/tags") and time.time() < deadline:
            time.sleep(1)
        url = base + "/#scalars&tagFilter=" + urllib.parse.quote(args.tag_filter, safe="")
        with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
            subprocess.run([args.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", "--user-data-dir=" + profile,
                            "--window-size=" + args.size, "--virtual-time-budget=20000",
                            "--screenshot=" + os.path.abspath(args.out), url],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=180)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print("tensorboard_screenshot.py: %s (%s)" % (args.out, url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
