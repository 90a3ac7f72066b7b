package dev.tfmnist.data;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where the MNIST files live: an explicit directory if one was given, else {@code $MNIST_DIR}, else
 * {@code data/mnist} under the working directory. The environment lookup is a parameter so that
 * tests need not depend on the variables of the machine they run on.
 */
public final class DataDirectory {
  public static final String ENV_VAR = "MNIST_DIR";
  public static final Path DEFAULT = Path.of("data", "mnist");

  private DataDirectory() {}

  /** {@link #resolve(Path, Function)} with the process environment. */
  public static Path resolve(Path explicit) {
    return resolve(explicit, System::getenv);
  }

  /**
   * @param explicit the directory the user asked for, or null
   * @param env the environment, e.g. {@code System::getenv}; a blank value counts as unset, since
   *     {@code MNIST_DIR= cmd} is a common way to switch a variable off
   */
  public static Path resolve(Path explicit, Function<String, String> env) {
    if (explicit != null) {
      return explicit;
    }
    String fromEnv = env.apply(ENV_VAR);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    return DEFAULT;
  }
}
