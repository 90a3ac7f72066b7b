"""Runs every tests/test_*.py with unittest and ends with 'python: N passed, N failed'.

Exit code 0 only when at least one test ran and none failed or errored.
Usage: run_all.py [-k PATTERN]...
"""

import argparse
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import tfsetup  # noqa: E402  (quiet TensorFlow before any test module imports it)


def main(argv=None):
    p = argparse.ArgumentParser(prog="run_all.py")
    p.add_argument("-k", dest="patterns", action="append", default=[],
                   help="only tests whose name contains this substring (unittest -k)")
    args = p.parse_args(argv)
    tfsetup.quiet()
    loader = unittest.TestLoader()
    loader.testNamePatterns = ["*%s*" % k for k in args.patterns] or None
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    # Tests, not reports: a test with several failing subTests is one failed test, and an error
    # in setUpClass (reported once, for tests that then never ran) is one failure outside testsRun.
    def test_id(test):
        return getattr(test, "test_case", test).id()  # a subTest's own test
    problems = [t for t, _ in result.failures + result.errors] + list(result.unexpectedSuccesses)
    failed_tests = {test_id(t) for t in problems if isinstance(t, unittest.TestCase)}
    setup_errors = sum(1 for t in problems if not isinstance(t, unittest.TestCase))
    skipped = len({test_id(t) for t, _ in result.skipped} - failed_tests)
    failed = len(failed_tests) + setup_errors
    passed = result.testsRun - len(failed_tests) - skipped
    summary = "python: %d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary, flush=True)
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
