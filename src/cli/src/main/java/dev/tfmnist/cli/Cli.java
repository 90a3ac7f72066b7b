package dev.tfmnist.cli;

import dev.tfmnist.device.ThreadPools;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Properties;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * What every command line of the project shares: user errors (a bad option, a bad file, a bad
 * value) end in one line on stderr and exit code 2 or 1, never in a stack trace.
 */
final class Cli {
  static final int USAGE_ERROR = 2;
  static final int RUN_ERROR = 1;

  private Cli() {}

  static CommandLine commandLine(Object command, PrintWriter out, PrintWriter err) {
    var commandLine = new CommandLine(command);
    String name = commandLine.getCommandName();
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler((e, args) -> {
      err.println(name + ": " + e.getMessage() + " (see --help)");
      err.flush();
      return USAGE_ERROR;
    });
    commandLine.setExecutionExceptionHandler((e, cl, parseResult) -> {
      if (isUserError(e)) {
        err.println(name + ": " + oneLine(e.getMessage()));
        err.flush();
        return e instanceof IllegalArgumentException ? USAGE_ERROR : RUN_ERROR;
      }
      throw e;
    });
    return commandLine;
  }

  /** Errors whose message is the whole story for a user: bad values, files, downloads, NaN. */
  private static boolean isUserError(Exception e) {
    return e instanceof IllegalArgumentException || e instanceof IOException
        || e instanceof java.io.UncheckedIOException || e instanceof RunError;
  }

  /**
   * A run that cannot go on for a reason the user can act on, told in the program's terms (its
   * options): one line and exit code 1.
   */
  static final class RunError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RunError(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * An option picocli cannot require because another option (--list-devices) makes it needless:
   * its value, or the usage error picocli would have given.
   */
  static <T> T required(CommandSpec spec, T value, String option) {
    if (value == null) {
      throw new ParameterException(spec.commandLine(), "Missing required option: '" + option + "'");
    }
    return value;
  }

  /**
   * An option as the user wrote it: whichever of its names (TF Serving's spelling, say) the
   * command line used last, else {@code option}.
   *
   * @param spec the command, parsed
   * @param option one of the option's names
   * @return the name to put in a message about it
   */
  static String spelled(CommandSpec spec, String option) {
    var optionSpec = spec.findOption(option);
    var parsed = spec.commandLine().getParseResult();
    if (optionSpec == null || parsed == null) {
      return option;
    }
    String used = option;
    for (String arg : parsed.originalArgs()) {
      for (String name : optionSpec.names()) {
        if (arg.equals(name) || arg.startsWith(name + "=")) {
          used = name;
        }
      }
    }
    return used;
  }

  /**
   * TF Serving's booleans ({@code --flag=true}, {@code false}, {@code 1} or {@code 0}), for
   * options with its spellings.
   */
  static final class TfServingBoolean implements CommandLine.ITypeConverter<Boolean> {
    @Override
    public Boolean convert(String value) {
      return switch (value) {
        case "true", "1" -> true;
        case "false", "0" -> false;
        default -> throw new CommandLine.TypeConversionException("'" + value
            + "' is not a boolean: expected true, false, 1 or 0");
      };
    }
  }

  /** What --version prints: this project's version and TensorFlow's. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return new String[] {
        "${COMMAND-NAME} " + project(),
        "TensorFlow Java " + versions().getProperty("tensorflow.java", "?") + ", TensorFlow "
            + tensorFlow()
      };
    }

    /** This project's version. */
    static String project() throws IOException {
      return versions().getProperty("version", "(unknown version)");
    }

    /** The version of TensorFlow's native library, loaded quietly. */
    static String tensorFlow() {
      NativeLog.configure(false, ThreadPools.DEFAULT);  // before TensorFlow loads
      return org.tensorflow.TensorFlow.version();
    }

    private static Properties versions() throws IOException {
      var versions = new Properties();
      try (var in = Cli.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          versions.load(in);
        }
      }
      return versions;
    }
  }

  /**
   * Sends what libraries log through java.util.logging (gRPC, Netty) to SLF4J, where the
   * programs' Logback configuration decides what shows; called first in every main.
   */
  static void routeLibraryLogs() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  private static String oneLine(String message) {
    return message == null ? "failed" : message.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
