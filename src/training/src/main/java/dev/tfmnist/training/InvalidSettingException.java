package dev.tfmnist.training;

/**
 * A {@link TrainingConfig} value out of its range. The message starts with the setting's name, the
 * record component's, e.g. {@code keepProb must be in (0, 1], got 1.5}, so that a program can name
 * the option the value came from instead.
 */
public final class InvalidSettingException extends IllegalArgumentException {
  private final String setting;
  private final String rule;

  InvalidSettingException(String setting, String rule) {
    super(setting + " " + rule);
    this.setting = setting;
    this.rule = rule;
  }

  /** The record component of {@link TrainingConfig}, e.g. {@code keepProb}. */
  public String setting() {
    return setting;
  }

  /** What was wrong, without the setting's name, e.g. {@code must be in (0, 1], got 1.5}. */
  public String rule() {
    return rule;
  }
}
