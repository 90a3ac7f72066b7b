"""Reads the Parquet that ScoreImages wrote and checks it against PredictMnist's lines.

Usage: check_scores.py SCORES.parquet PREDICTMNIST.txt EXPECTED_COUNT
Exit 0 and one line when every file was scored exactly once with PredictMnist's digit; else one
line saying what differs and exit 1.
"""

import os
import re
import sys

from pyspark.sql import SparkSession


def main():
    scores, predict_lines, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    digits = {}
    with open(predict_lines) as f:
        for line in f:
            line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))  # Maven's colour codes
            path, _, answer = line.rpartition(": ")
            if path:
                digits[os.path.realpath(path)] = int(answer.split(" ")[0])
    spark = (SparkSession.builder.master("local[1]").appName("check_scores")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        rows = spark.read.parquet(scores).collect()
        columns = spark.read.parquet(scores).columns
    finally:
        spark.stop()
    problems = []
    if columns != ["path", "digit", "probabilities", "error"]:
        problems.append("columns %s" % columns)
    paths = [os.path.realpath(r["path"].replace("file:", "", 1)) for r in rows]
    if len(rows) != expected or len(set(paths)) != expected:
        problems.append("%d rows for %d distinct paths, expected %d files once each"
                        % (len(rows), len(set(paths)), expected))
    wrong = [p for p, r in zip(paths, rows) if r["error"] is not None or digits.get(p) != r["digit"]]
    if wrong:
        problems.append("%d files differ from PredictMnist, e.g. %s" % (len(wrong), wrong[0]))
    if problems:
        print("check_scores.py: " + "; ".join(problems))
        return 1
    print("check_scores.py: %d files scored exactly once, each with PredictMnist's digit" % expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
