package dev.runbook4j.cli;

import dev.runbook4j.dsl.ParameterSpec;
import dev.runbook4j.dsl.ScriptRunbook;
import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Option;

/**
 * Where a script's {@code secret} parameters come from besides {@code -p} (which other users of the
 * machine see in the process list): an environment variable, a file, or a prompt on the terminal
 * that does not echo. The value never reaches a file, a message or the journal: the run masks it.
 */
final class SecretOptions {
  @Option(names = "--secret-env", paramLabel = "NAME=VARIABLE",
      description = "A secret parameter read from an environment variable.")
  List<String> fromEnv = new ArrayList<>();

  @Option(names = "--secret-file", paramLabel = "NAME=PATH",
      description = "A secret parameter read from a file (its content, without the trailing line break).")
  List<String> fromFile = new ArrayList<>();

  /** Reads the environment (a seam for tests). */
  UnaryOperator<String> env = System::getenv;

  /**
   * {@code given} with the secrets this command was told where to find, and, on a terminal, the
   * ones still missing that the script requires ({@code needed} also names those the run had when it
   * started) asked for without echo.
   *
   * @throws IllegalArgumentException naming the parameter (never its value) when a source is
   *     missing or empty, or names a parameter that is not a secret of the script
   */
  Map<String, String> merged(Map<String, String> given, ScriptRunbook script, List<String> needed) {
    Map<String, String> m = new LinkedHashMap<>(given);
    for (String pair : fromEnv) {
      String[] nv = pair(pair, "--secret-env", "NAME=VARIABLE");
      secretSpec(script, nv[0], "--secret-env");
      String v = env.apply(nv[1]);
      if (v == null || v.isEmpty()) {
        throw new IllegalArgumentException("--secret-env " + nv[0] + ": the environment variable " + nv[1]
            + " is not set or empty");
      }
      m.put(nv[0], v);
    }
    for (String pair : fromFile) {
      String[] nv = pair(pair, "--secret-file", "NAME=PATH");
      secretSpec(script, nv[0], "--secret-file");
      String v;
      try {
        v = Files.readString(Path.of(nv[1]), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException("--secret-file " + nv[0] + ": " + nv[1] + " cannot be read ("
            + e.getClass().getSimpleName() + ")");
      }
      v = v.endsWith("\r\n") ? v.substring(0, v.length() - 2) : v.endsWith("\n") ? v.substring(0, v.length() - 1) : v;
      if (v.isEmpty()) {
        throw new IllegalArgumentException("--secret-file " + nv[0] + ": " + nv[1] + " is empty");
      }
      m.put(nv[0], v);
    }
    Console console = System.console();
    if (console != null) {
      for (ParameterSpec spec : script.parameters().values()) {
        if (spec.kind() == ParameterSpec.Kind.SECRET && !m.containsKey(spec.name())
            && (spec.required() || needed.contains(spec.name()))) {
          char[] typed = console.readPassword("secret '%s': ", spec.name());
          if (typed != null && typed.length > 0) {
            m.put(spec.name(), new String(typed));
            java.util.Arrays.fill(typed, '\0');
          }
        }
      }
    }
    return m;
  }

  private static String[] pair(String pair, String option, String form) {
    int eq = pair.indexOf('=');
    if (eq <= 0 || eq == pair.length() - 1) {
      throw new IllegalArgumentException(option + " takes " + form + ", was '" + pair + "'");
    }
    return new String[] {pair.substring(0, eq), pair.substring(eq + 1)};
  }

  private static void secretSpec(ScriptRunbook script, String name, String option) {
    ParameterSpec spec = script.parameters().get(name);
    if (spec == null || spec.kind() != ParameterSpec.Kind.SECRET) {
      throw new IllegalArgumentException(option + " " + name + ": the runbook declares no secret '" + name + "'"
          + (spec == null ? "" : " (it is a " + spec.kind().keyword() + ")"));
    }
  }
}
