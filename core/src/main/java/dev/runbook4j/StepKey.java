package dev.runbook4j;

import java.util.Objects;
import org.apiguardian.api.API;

/**
 * The name and output type of a step, so that later steps and compensations read its output
 * type-safely.
 *
 * <pre>{@code
 * static final StepKey<String> PUBLISH = StepKey.of("publish", String.class);
 * ...
 *   .step(PUBLISH, s -> s.action(ctx -> lambda.publish()).compensate((ctx, v) -> lambda.delete(v)))
 *   .step("shift", s -> s.action(ctx -> alias.point(ctx.output(PUBLISH))).compensate(...))
 * }</pre>
 *
 * <p>This class is threadsafe.
 *
 * @param <T> the step's output type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class StepKey<T> {
  private final String name;
  private final Class<T> type;

  private StepKey(String name, Class<T> type) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
  }

  /** A key for the step {@code name} whose output is a {@code type}. */
  public static <T> StepKey<T> of(String name, Class<T> type) {
    return new StepKey<>(name, type);
  }

  public String name() {
    return name;
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StepKey && ((StepKey<?>) o).name.equals(name) && ((StepKey<?>) o).type.equals(type);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + type.hashCode();
  }

  @Override
  public String toString() {
    return "StepKey[" + name + ": " + type.getSimpleName() + "]";
  }
}
