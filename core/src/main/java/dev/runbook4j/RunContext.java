package dev.runbook4j;

import java.time.Clock;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * What a gate check, wait condition or watch sees of its run: the typed parameters, earlier steps'
 * outputs, the current {@code forEach} item and the engine's clock.
 *
 * <p>Implementations are threadsafe; a context is valid only during the call it was passed to.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public interface RunContext<P> {
  /** The run's id, stable across restarts. */
  String runId();

  /** The runbook's name. */
  String runbook();

  /** The run's typed parameters ({@code null} only for a {@code Void} runbook). */
  P params();

  /** Who started the run. */
  String requester();

  /** The engine's clock: a virtual one in tests. */
  Clock clock();

  /**
   * The output of the earlier step that {@code key} names. Inside a {@code forEach} item the
   * item's own step is found first.
   *
   * @throws IllegalStateException naming the step when it has not succeeded yet
   */
  <T> T output(StepKey<T> key);

  /**
   * The output of the earlier step named {@code stepName}, for untyped callers (the DSL).
   *
   * @throws IllegalStateException naming the step when it has not succeeded yet
   */
  Object output(String stepName);

  /** The output of an earlier step, if it has succeeded. */
  Optional<Object> findOutput(String stepName);

  /**
   * The current {@code forEach} item, cast to {@code type}.
   *
   * @throws IllegalStateException when called outside a {@code forEach}
   */
  <I> I item(Class<I> type);
}
