package dev.runbook4j.dsl;

import dev.runbook4j.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * A parameter a script declares in {@code parameters { ... }}.
 *
 * @param name its name, read in the script as {@code params.NAME}
 * @param kind its type
 * @param required whether a run must give it (a default makes it optional)
 * @param defaultValue the typed default, or null
 * @param pattern the regular expression a string must match, or null
 * @param min the least integer, or null
 * @param max the greatest integer, or null
 * @param values the choices of a {@code choice}, else empty
 * @param description a line for help texts
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record ParameterSpec(String name, Kind kind, boolean required, Object defaultValue, String pattern, Long min,
    Long max, List<String> values, String description) {

  /** The parameter types of the DSL. */
  public enum Kind {
    STRING, INTEGER, BOOL, CHOICE, DURATION,
    /** A string that is never written anywhere: not to the journal, the plan, logs or errors. */
    SECRET;

    /** The DSL keyword. */
    public String keyword() {
      return this == INTEGER ? "integer" : this == BOOL ? "bool" : name().toLowerCase(Locale.ROOT);
    }
  }

  public ParameterSpec {
    values = values == null ? List.of() : List.copyOf(values);
    description = description == null ? "" : description;
  }

  /**
   * Reads {@code raw} (as given on a command line) as this parameter's type, checking its
   * constraints.
   *
   * @throws IllegalArgumentException naming the parameter and what it accepts (never the value of a secret)
   */
  public Object parse(String raw) {
    String shown = kind == Kind.SECRET ? "the value given" : "'" + raw + "'";
    switch (kind) {
      case INTEGER -> {
        long v;
        try {
          v = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("parameter '" + name + "': " + shown + " is not an integer");
        }
        check(v);
        return v;
      }
      case BOOL -> {
        String t = raw.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true") || t.equals("false")) {
          return Boolean.valueOf(t);
        }
        throw new IllegalArgumentException("parameter '" + name + "': " + shown + " is not true or false");
      }
      case CHOICE -> {
        if (!values.contains(raw)) {
          throw new IllegalArgumentException("parameter '" + name + "': " + shown + " is not one of " + values);
        }
        return raw;
      }
      case DURATION -> {
        try {
          return Durations.parse(raw);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("parameter '" + name + "': " + e.getMessage());
        }
      }
      case SECRET -> {
        if (raw.isEmpty()) {
          throw new IllegalArgumentException("parameter '" + name + "': a secret must not be empty");
        }
        return dev.runbook4j.Secret.of(raw);
      }
      default -> {
        if (pattern != null && !Pattern.compile(pattern).matcher(raw).matches()) {
          throw new IllegalArgumentException("parameter '" + name + "': " + shown + " does not match /" + pattern + "/");
        }
        return raw;
      }
    }
  }

  /** Checks a typed value (a default, say) against this parameter's constraints. */
  void check(Object value) {
    if (kind == Kind.INTEGER && value instanceof Number n) {
      long v = n.longValue();
      if ((min != null && v < min) || (max != null && v > max)) {
        throw new IllegalArgumentException("parameter '" + name + "': " + v + " is outside " + range());
      }
    } else if (kind == Kind.CHOICE && !values.contains(String.valueOf(value))) {
      throw new IllegalArgumentException("parameter '" + name + "': '" + value + "' is not one of " + values);
    } else if ((kind == Kind.STRING) && pattern != null
        && !Pattern.compile(pattern).matcher(String.valueOf(value)).matches()) {
      throw new IllegalArgumentException("parameter '" + name + "': '" + value + "' does not match /" + pattern + "/");
    } else if (kind == Kind.DURATION && !(value instanceof Duration)) {
      throw new IllegalArgumentException("parameter '" + name + "': '" + value + "' is not a duration");
    }
  }

  String range() {
    return "[" + (min == null ? "..." : min) + ", " + (max == null ? "..." : max) + "]";
  }
}
