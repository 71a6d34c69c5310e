package dev.runbook4j.dsl;

import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.Runbook;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * A loaded script: its runbook and the parameters it declares.
 *
 * @param file where it was loaded from
 * @param runbook the runbook, to run with a {@link ScriptParams} from {@link #params}
 * @param parameters the declared parameters, by name, in declaration order
 * @param invariants what must hold after runs, for {@code runbook4j test} and the testing module
 * @param testReset what puts a test environment back before each failure path {@code runbook4j test}
 *     explores (the script's {@code testReset { }}); does nothing if the script has none
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record ScriptRunbook(String file, Runbook<ScriptParams> runbook, Map<String, ParameterSpec> parameters,
    List<ScriptInvariant> invariants, java.util.function.Consumer<ScriptParams> testReset) {
  public ScriptRunbook {
    parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    invariants = List.copyOf(invariants);
    testReset = testReset == null ? p -> { } : testReset;
  }

  /** A loaded script without invariants or test reset. */
  public ScriptRunbook(String file, Runbook<ScriptParams> runbook, Map<String, ParameterSpec> parameters) {
    this(file, runbook, parameters, List.of(), null);
  }

  /**
   * The parameters of a run from their text ({@code -p name=value} on a command line): each parsed
   * and checked, defaults filled in.
   *
   * @throws RunbookDefinitionException listing every unknown, missing or invalid parameter (never a
   *     secret's value)
   */
  public ScriptParams params(Map<String, String> given) {
    List<String> problems = new ArrayList<>();
    Map<String, Object> values = new LinkedHashMap<>();
    Set<String> secrets = new LinkedHashSet<>();
    for (String name : given.keySet()) {
      if (!parameters.containsKey(name)) {
        problems.add("unknown parameter '" + name + "'; " + (parameters.isEmpty() ? "the runbook declares none"
            : "declared: " + String.join(", ", parameters.keySet())));
      }
    }
    for (ParameterSpec spec : parameters.values()) {
      if (spec.kind() == ParameterSpec.Kind.SECRET) {
        secrets.add(spec.name());
      }
      String raw = given.get(spec.name());
      if (raw == null) {
        if (spec.required()) {
          problems.add("parameter '" + spec.name() + "' is required (" + spec.kind().keyword() + ")");
        }
        Object d = spec.defaultValue();
        values.put(spec.name(), spec.kind() == ParameterSpec.Kind.SECRET && d instanceof String t && !t.isEmpty()
            ? dev.runbook4j.Secret.of(t) : d);
        continue;
      }
      try {
        values.put(spec.name(), spec.parse(raw));
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new RunbookDefinitionException("Parameters of runbook '" + runbook.name() + "' (" + file + ")", problems);
    }
    return new ScriptParams(values, secrets);
  }
}
