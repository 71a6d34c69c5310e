package dev.runbook4j;

import java.util.Objects;
import java.util.function.Predicate;
import org.apiguardian.api.API;

/**
 * Routes a step's failure by what failed it: when {@link #matches} the error of the step's last
 * attempt, the run does {@link #route()} instead of the step's own {@code onFailure}. A step's
 * rules are asked in the order they were given; the first that matches decides, and the decision
 * is journaled ({@link RunEvent.FailureRouted}), so a resumed run routes the same.
 *
 * <pre>{@code
 * .step("publish", s -> s.action(...).compensate(...)
 *     .onFailure(QuotaExceededException.class, OnFailure.ABORT)     // a person must look
 *     .onFailure(CacheWarmupException.class, OnFailure.CONTINUE))   // harmless: go on
 * }</pre>
 *
 * @param description what the rule matches, as the plan and the journal say it
 * @param test whether the rule matches an error
 * @param route what the run does when it does
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public record FailureRule(String description, Predicate<Throwable> test, OnFailure route) {
  public FailureRule {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(test, "test");
    Objects.requireNonNull(route, "route");
  }

  /** A rule for errors of {@code type}: the error itself, or one of its causes. */
  public static FailureRule on(Class<? extends Throwable> type, OnFailure route) {
    Objects.requireNonNull(type, "type");
    return new FailureRule(type.getSimpleName(), e -> {
      for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
        if (type.isInstance(t)) {
          return true;
        }
      }
      return false;
    }, route);
  }

  /** Whether this rule matches {@code error}; a predicate that throws does not match. */
  public boolean matches(Throwable error) {
    try {
      return test.test(error);
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return route.name().toLowerCase(java.util.Locale.ROOT) + " on " + description;
  }
}
