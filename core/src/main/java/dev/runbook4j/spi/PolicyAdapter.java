package dev.runbook4j.spi;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * Runs one attempt under its timeout and circuit breaker. Resilience4j's is the default
 * ({@code Resilience4jPolicyAdapter}); {@code FailsafePolicyAdapter} is for teams whose tooling
 * already builds Failsafe policies. Neither library's types appear in the core API.
 *
 * <p>Implementations must be threadsafe; a circuit breaker named by several steps is one breaker.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface PolicyAdapter {
  /**
   * Runs {@code attempt} (which starts the action and returns its stage) with {@code timeout}
   * (may be {@code null}) through the breaker {@code circuitBreaker} (may be {@code null}). A
   * timeout completes the returned stage with a {@link java.util.concurrent.TimeoutException};
   * an open breaker with an exception naming the breaker, without calling {@code attempt}.
   */
  <T> CompletionStage<T> execute(Duration timeout, String circuitBreaker, Supplier<CompletionStage<T>> attempt,
      PolicyContext ctx);
}
