package dev.tfmnist.server;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import com.google.protobuf.TextFormatParseInfoTree;
import com.google.protobuf.TextFormatParseLocation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A protobuf message in text format, read from a file as TensorFlow Serving reads the files its
 * flags name ({@code --model_config_file}, {@code --batching_parameters_file}, {@code
 * --monitoring_config_file}), that remembers the line each field was set on, so that every error
 * about the file is one line naming the file and the line.
 *
 * @param <M> the message type
 */
public final class TextProtoFile<M extends Message> {
  private final Path file;
  private final M message;
  private final TextFormatParseInfoTree lines;

  private TextProtoFile(Path file, M message, TextFormatParseInfoTree lines) {
    this.file = file;
    this.message = message;
    this.lines = lines;
  }

  /**
   * Reads and parses a file.
   *
   * @param file the file
   * @param what what the file is, for the error when it cannot be read (e.g. {@code "model config
   *     file"})
   * @param prototype the message type's default instance
   * @param <M> the message type
   * @return the file's message
   * @throws ConfigFileException if the file cannot be read or parsed: {@code FILE: cannot read the
   *     WHAT: no such file}, or {@code FILE: line L, column C: PROBLEM}
   */
  public static <M extends Message> TextProtoFile<M> read(Path file, String what, M prototype)
      throws ConfigFileException {
    return parse(file, readText(file, what), prototype);
  }

  /**
   * A file's text, for a caller that watches it change.
   *
   * @param file the file
   * @param what what the file is, for the error
   * @return its text, UTF-8
   * @throws ConfigFileException if it cannot be read: {@code FILE: cannot read the WHAT: REASON}
   */
  public static String readText(Path file, String what) throws ConfigFileException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigFileException(file + ": cannot read the " + what + ": "
          + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
    }
  }

  /**
   * Parses the text of a file.
   *
   * @param file the file the text is from, for the errors
   * @param text the text
   * @param prototype the message type's default instance
   * @param <M> the message type
   * @return the message
   * @throws ConfigFileException {@code FILE: line L, column C: PROBLEM} if the text is not the
   *     message in text format (a field the message has not, a value of the wrong type, ...)
   */
  public static <M extends Message> TextProtoFile<M> parse(Path file, String text, M prototype)
      throws ConfigFileException {
    var lines = TextFormatParseInfoTree.builder();
    Message.Builder builder = prototype.newBuilderForType();
    try {
      TextFormat.Parser.newBuilder().setParseInfoTreeBuilder(lines).build().merge(text, builder);
    } catch (TextFormat.ParseException e) {
      throw new ConfigFileException(file + ": line " + e.getLine() + ", column " + e.getColumn()
          + ": " + e.getMessage().replaceFirst("^\\d+:\\d+: ", "").replaceAll("\\s+", " "));
    }
    @SuppressWarnings("unchecked")  // a builder of M's type builds an M
    M message = (M) builder.build();
    return new TextProtoFile<>(file, message, lines.build());
  }

  public Path file() {
    return file;
  }

  public M message() {
    return message;
  }

  /**
   * Where a field was set, to start a line about it: {@code FILE: line L: a.b}, the line of its
   * last occurrence (the one that counts), or {@code FILE: a.b} if the file does not set it.
   *
   * @param fieldPath field names from the top message down, e.g. {@code "prometheus_config",
   *     "path"}
   * @return the file, the line and the field
   * @throws IllegalArgumentException if the message has no such field
   */
  public String where(String... fieldPath) {
    TextFormatParseInfoTree tree = lines;
    Descriptor type = message.getDescriptorForType();
    int line = -1;
    for (String name : fieldPath) {
      FieldDescriptor field = type.findFieldByName(name);
      if (field == null) {
        throw new IllegalArgumentException(type.getFullName() + " has no field " + name);
      }
      List<TextFormatParseLocation> locations = tree == null ? List.of()
          : tree.getLocations(field);
      if (!locations.isEmpty()) {  // else the line of the message that holds it, if known
        line = locations.get(locations.size() - 1).getLine();
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        List<TextFormatParseInfoTree> nested = tree == null ? List.of()
            : tree.getNestedTrees(field);
        tree = nested.isEmpty() ? null : nested.get(nested.size() - 1);
        type = field.getMessageType();
        if (locations.isEmpty() && tree != null) {
          line = firstLine(tree, type, line);
        }
      }
    }
    // TextFormatParseLocation counts lines from 0; ParseException, and editors, from 1
    return file + (line < 0 ? "" : ": line " + (line + 1)) + ": " + String.join(".", fieldPath);
  }

  /** The first line a message sets a field on, when the parser located the message's fields only. */
  private static int firstLine(TextFormatParseInfoTree tree, Descriptor type, int otherwise) {
    int first = Integer.MAX_VALUE;
    for (FieldDescriptor field : type.getFields()) {
      for (TextFormatParseLocation location : tree.getLocations(field)) {
        first = Math.min(first, location.getLine());
      }
    }
    return first == Integer.MAX_VALUE ? otherwise : first;
  }

  /**
   * An error about a field, one line: {@code FILE: line L: FIELD: PROBLEM}.
   *
   * @param problem what is wrong and what was expected
   * @param fieldPath the field, as for {@link #where}
   * @return the exception to throw
   */
  public ConfigFileException error(String problem, String... fieldPath) {
    return new ConfigFileException(where(fieldPath) + ": " + problem);
  }
}
