package dev.runbook4j.dsl;

import java.util.Objects;
import java.util.function.Predicate;
import org.apiguardian.api.API;

/**
 * An invariant a script declares with {@code invariant('the alias is back at v1', when: 'rolledBack') { ... }}:
 * something about the system that must hold after a run that ended as {@code when} says. The engine
 * does not check it; {@code runbook4j test} and the testing module's explorer check it after every
 * failure path.
 *
 * @param description what must hold, in words
 * @param when {@code rolledBack}, {@code succeeded} or {@code always}
 * @param check whether it holds, given the run's parameters
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record ScriptInvariant(String description, String when, Predicate<ScriptParams> check) {
  public ScriptInvariant {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(when, "when");
    Objects.requireNonNull(check, "check");
  }
}
