package dev.runbook4j.dsl;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * The parameters of a run of a script runbook: {@code params.version} in the script. Reading a
 * name the script does not declare is an error naming the declared ones. A {@code secret}
 * parameter is a {@link dev.runbook4j.Secret}: it reads {@code "***"} everywhere — in
 * {@code toString}, in {@code "${params}"} and {@code "${params.token}"}, in the JSON the plan and
 * the journal keep — and {@code params.token.reveal()} is the one way to read its value. A run
 * parked or paused in its process keeps it; one read back from the journal has none (null): give
 * it again to resume the run.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ScriptParams extends AbstractMap<String, Object> {
  /** What a secret reads as wherever it is shown or stored. */
  public static final String MASK = "***";

  private final Map<String, Object> values;
  private final Set<String> secrets;
  /** Secrets the run was given that these parameters do not hold (read back from the journal): shown masked still. */
  private final Set<String> withheld;

  ScriptParams(Map<String, Object> values, Set<String> secrets) {
    this(values, secrets, Set.of());
  }

  private ScriptParams(Map<String, Object> values, Set<String> secrets, Set<String> withheld) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.secrets = Set.copyOf(new LinkedHashSet<>(secrets));
    this.withheld = Set.copyOf(withheld);
  }

  private static final String TYPES = "~types";

  /**
   * The parameters from their JSON (a run read back from the journal): durations typed again,
   * integers as longs; secrets are null (they are never written: give them again to
   * resume the run after a restart, {@code engine.resume(runId, runbook, params)}).
   */
  @JsonCreator
  static ScriptParams fromJson(Map<String, Object> json) {
    Map<String, Object> values = new LinkedHashMap<>();
    Set<String> secrets = new LinkedHashSet<>();
    Set<String> withheld = new LinkedHashSet<>();
    Map<?, ?> types = json == null ? Map.of() : json.get(TYPES) instanceof Map<?, ?> m ? m : Map.of();
    if (json != null) {
      json.forEach((k, v) -> {
        if (k.equals(TYPES)) {
          return;
        }
        Object type = types.get(k);
        if ("duration".equals(type) && v != null) {
          v = dev.runbook4j.Durations.parse(String.valueOf(v));
        } else if ("secret".equals(type)) {
          secrets.add(k);
          if (v != null) {
            withheld.add(k);  // it had a value, which is never stored: give it again
          }
          v = null;
        } else if (v instanceof Integer i) {
          v = i.longValue();
        }
        values.put(k, v);
      });
    }
    return new ScriptParams(values, secrets, withheld);
  }

  /** The parameters as they may be shown and stored: secrets masked, durations as text, their types noted. */
  @JsonValue
  public Map<String, Object> shown() {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, String> types = new LinkedHashMap<>();
    values.forEach((k, v) -> {
      if (secrets.contains(k)) {
        // a secret given (masked) or none: a resume needs it again only if given
        m.put(k, v == null && !withheld.contains(k) ? null : MASK);
        types.put(k, "secret");
      } else if (v instanceof java.time.Duration d) {
        m.put(k, dev.runbook4j.Durations.format(d));
        types.put(k, "duration");
      } else {
        m.put(k, v);
      }
    });
    if (!types.isEmpty()) {
      m.put(TYPES, types);
    }
    return m;
  }

  @Override
  public Object get(Object key) {
    if (!values.containsKey(key)) {
      throw new IllegalArgumentException("no parameter '" + key + "'; this runbook declares " + values.keySet());
    }
    return values.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return values.containsKey(key);
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return values.entrySet();
  }

  @Override
  public String toString() {
    Map<String, Object> m = new LinkedHashMap<>(values);
    secrets.forEach(k -> m.put(k, MASK));
    return m.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScriptParams p && p.values.equals(values) && p.secrets.equals(secrets)
        && p.withheld.equals(withheld);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }
}
