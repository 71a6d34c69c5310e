package dev.runbook4j.spi;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * A user's own policy around one attempt of a step: a Resilience4j {@code Retry} or
 * {@code CircuitBreaker} ({@code dev.runbook4j.resilience4j.Resilience4jPolicies}) or a Failsafe
 * policy ({@code dev.runbook4j.failsafe.FailsafePolicies}). It may call {@code attempt} several
 * times (short in-call retries); the engine's journaled {@code RetrySpec} stays outside it.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
@FunctionalInterface
public interface StepPolicy {
  <T> CompletionStage<T> apply(Supplier<CompletionStage<T>> attempt, PolicyContext ctx);
}
