package dev.runbook4j.dsl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * The keywords inside {@code parameters { }}: one per parameter type, each with the options
 * {@code required}, {@code defaultValue} and {@code description}, plus {@code pattern} (string),
 * {@code min}/{@code max} (integer) and {@code values} (choice).
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ParametersDsl {
  static final Map<ParameterSpec.Kind, Set<String>> OPTIONS = Map.of(
      ParameterSpec.Kind.STRING, Set.of("required", "defaultValue", "description", "pattern"),
      ParameterSpec.Kind.INTEGER, Set.of("required", "defaultValue", "description", "min", "max"),
      ParameterSpec.Kind.BOOL, Set.of("required", "defaultValue", "description"),
      ParameterSpec.Kind.CHOICE, Set.of("required", "defaultValue", "description", "values"),
      ParameterSpec.Kind.DURATION, Set.of("required", "defaultValue", "description"),
      ParameterSpec.Kind.SECRET, Set.of("required", "description"));

  final Map<String, ParameterSpec> specs = new LinkedHashMap<>();

  public void string(String name) {
    string(Map.of(), name);
  }

  /** {@code string 'version', required: true, pattern: /\d+\.\d+\.\d+/} */
  public void string(Map<String, Object> options, String name) {
    add(ParameterSpec.Kind.STRING, options, name);
  }

  public void integer(String name) {
    integer(Map.of(), name);
  }

  /** {@code integer 'percent', defaultValue: 10, min: 1, max: 100} */
  public void integer(Map<String, Object> options, String name) {
    add(ParameterSpec.Kind.INTEGER, options, name);
  }

  public void bool(String name) {
    bool(Map.of(), name);
  }

  /** {@code bool 'dryRun'} (default false) */
  public void bool(Map<String, Object> options, String name) {
    add(ParameterSpec.Kind.BOOL, options, name);
  }

  public void choice(String name) {
    choice(Map.of(), name);
  }

  /** {@code choice 'env', values: ['staging', 'prod']} */
  public void choice(Map<String, Object> options, String name) {
    add(ParameterSpec.Kind.CHOICE, options, name);
  }

  public void duration(String name) {
    duration(Map.of(), name);
  }

  /** {@code duration 'bake', defaultValue: '10m'} */
  public void duration(Map<String, Object> options, String name) {
    add(ParameterSpec.Kind.DURATION, options, name);
  }

  public void secret(String name) {
    secret(Map.of(), name);
  }

  /** {@code secret 'token'}: never written to the journal, the plan, logs or errors. */
  public void secret(Map<String, Object> options, String name) {
    add(ParameterSpec.Kind.SECRET, options, name);
  }

  private void add(ParameterSpec.Kind kind, Map<String, Object> o, String name) {
    for (String key : o.keySet()) {
      if (!OPTIONS.get(kind).contains(key)) {
        throw new IllegalArgumentException(kind.keyword() + " '" + name + "': unknown option '" + key + "'; use "
            + String.join(", ", OPTIONS.get(kind).stream().sorted().toList()));
      }
    }
    if (specs.containsKey(name)) {
      throw new IllegalArgumentException("parameter '" + name + "' is declared twice");
    }
    Object dflt = o.get("defaultValue");
    if (kind == ParameterSpec.Kind.DURATION && dflt != null) {
      dflt = Dsl.duration(dflt, "duration '" + name + "' defaultValue");
    } else if (kind == ParameterSpec.Kind.INTEGER && dflt instanceof Number n) {
      dflt = n.longValue();
    } else if (kind == ParameterSpec.Kind.BOOL && dflt == null) {
      dflt = Boolean.FALSE;
    }
    List<String> values = new ArrayList<>();
    if (o.get("values") instanceof List<?> l) {
      l.forEach(v -> values.add(String.valueOf(v)));
    }
    Object pattern = o.get("pattern");
    ParameterSpec spec = new ParameterSpec(name, kind, Boolean.TRUE.equals(o.get("required")) && dflt == null, dflt,
        pattern == null ? null : pattern.toString(), longOrNull(o.get("min")), longOrNull(o.get("max")), values,
        (String) o.get("description"));
    if (kind == ParameterSpec.Kind.CHOICE && values.isEmpty()) {
      throw new IllegalArgumentException("choice '" + name + "' needs values: ['a', 'b']");
    }
    if (pattern != null) {
      java.util.regex.Pattern.compile(pattern.toString());
    }
    if (dflt != null) {
      spec.check(dflt);
    }
    specs.put(name, spec);
  }

  private static Long longOrNull(Object v) {
    return v instanceof Number n ? n.longValue() : null;
  }

}
