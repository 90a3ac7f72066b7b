package dev.tfmnist.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One in-process run of a command-line program: its exit code and what it printed. */
record CliRun(int exitCode, String out, String err) {

  interface Command {
    int run(String[] args, PrintWriter out, PrintWriter err);
  }

  static CliRun of(Command command, String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    int code = command.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new CliRun(code, out.toString(), err.toString());
  }

  /** stderr without the device line PredictMnist prints there on a GPU build without a GPU. */
  String problems() {
    return err.replaceFirst("^Running on: [^\n]*; no GPU visible: [^\n]*\n", "");
  }

  /** One line on stderr (besides that device line), no stack trace, a non-zero exit code. */
  static void assertOneLineError(CliRun run, String expectedFragment) {
    assertTrue(run.exitCode() != 0, "exit code 0 for an error:\n" + run.out());
    var lines = run.problems().strip().lines().toList();
    assertEquals(1, lines.size(), "expected one error line, got:\n" + run.err());
    assertTrue(lines.get(0).contains(expectedFragment), lines.get(0));
    assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.err());
  }

  /** The same, with the exit code given. */
  static void assertOneLineError(CliRun run, int exitCode, String expectedFragment) {
    assertEquals(exitCode, run.exitCode(), run.out() + run.err());
    assertOneLineError(run, expectedFragment);
  }
}
