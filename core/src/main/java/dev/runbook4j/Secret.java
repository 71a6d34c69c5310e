package dev.runbook4j;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * A value that must never be shown or stored: a password, a token, a key. Every string form of it
 * reads {@value #MASK} — {@code toString}, string concatenation, Groovy's {@code "${...}"}, the
 * JSON the journal writes, a map or list printed whole — and the one way to read it is
 * {@link #reveal()}, named so that a reviewer sees where it happens.
 *
 * <p>A run knows the secrets of its parameters (a {@code Secret} anywhere in them: a record's
 * component, a map's value, a list's element) and scrubs every string that leaves user code of
 * their values and common encodings before it is journaled, logged, printed or handed to a
 * listener (see {@link Scrubber}): a secret that user code puts into an exception message or an
 * output comes out masked.
 *
 * <pre>{@code
 * record Params(String service, Secret token) {}
 * Runbook<Params> rb = Runbook.builder("deploy", Params.class)
 *     .step("call", s -> s.action(ctx -> api.call(ctx.params().token().reveal())))
 *     .build();
 * }</pre>
 *
 * @since 0.2
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.2")
public final class Secret {
  /** What a secret reads as wherever it is shown or stored. */
  public static final String MASK = "***";

  private final String value;

  private Secret(String value) {
    this.value = value;
  }

  /**
   * A secret holding {@code value}.
   *
   * @throws IllegalArgumentException for an empty value (which cannot be told apart from nothing
   *     when masked)
   */
  public static Secret of(String value) {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("A secret must not be empty");
    }
    return new Secret(value);
  }

  /** The value itself: the one way to read it, for the call that needs it. */
  public String reveal() {
    return value;
  }

  /** {@value #MASK}, always. */
  @Override
  public String toString() {
    return MASK;
  }

  /** Equal values (compared in constant time). */
  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8),
        s.value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  /**
   * The secrets in {@code value}: itself, a record's components, a map's keys and values, the
   * elements of a collection or array, an {@link Optional}'s content, each followed to any depth
   * (once per object).
   */
  public static List<Secret> findIn(Object value) {
    List<Secret> found = new ArrayList<>();
    collect(value, found, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
    return found;
  }

  private static void collect(Object v, List<Secret> found, Set<Object> seen) {
    if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof Enum<?>
        || v instanceof java.time.temporal.TemporalAmount || v instanceof java.time.temporal.Temporal
        || !seen.add(v)) {
      return;
    }
    if (v instanceof Secret s) {
      found.add(s);
    } else if (v instanceof Map<?, ?> m) {
      m.forEach((k, x) -> {
        collect(k, found, seen);
        collect(x, found, seen);
      });
    } else if (v instanceof Collection<?> c) {
      c.forEach(x -> collect(x, found, seen));
    } else if (v instanceof Object[] a) {
      for (Object x : a) {
        collect(x, found, seen);
      }
    } else if (v instanceof Optional<?> o) {
      o.ifPresent(x -> collect(x, found, seen));
    } else if (v instanceof SecretHolder h) {
      h.secrets().forEach(x -> collect(x, found, seen));
    } else if (v.getClass().isRecord()) {
      for (java.lang.reflect.RecordComponent c : v.getClass().getRecordComponents()) {
        try {
          java.lang.reflect.Method m = c.getAccessor();
          m.setAccessible(true);
          collect(m.invoke(v), found, seen);
        } catch (ReflectiveOperationException | RuntimeException e) {
          // a component that cannot be read here holds nothing we can find: the parameter's own
          // masking is all there is for it
        }
      }
    }
  }

  /**
   * Parameters that hold secrets in a shape {@link #findIn} does not walk (a class of its own):
   * they say which.
   *
   * @since 0.2
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.2")
  public interface SecretHolder {
    /** The secrets held. */
    Collection<Secret> secrets();
  }
}
