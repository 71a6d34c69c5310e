package dev.runbook4j.resilience4j;

import dev.runbook4j.spi.StepPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * Puts a user's own Resilience4j policies around each attempt of a step:
 * {@code .withPolicy(Resilience4jPolicies.retry(myRetry))}. The Retry's waits run on the engine's
 * scheduler (virtual in tests); its attempts are in-call, inside one journaled engine attempt.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Resilience4jPolicies {
  private Resilience4jPolicies() {}

  /** A short in-call retry. */
  public static StepPolicy retry(Retry retry) {
    Objects.requireNonNull(retry, "retry");
    return new StepPolicy() {
      @Override
      public <T> java.util.concurrent.CompletionStage<T> apply(
          java.util.function.Supplier<java.util.concurrent.CompletionStage<T>> attempt,
          dev.runbook4j.spi.PolicyContext ctx) {
        return retry.executeCompletionStage(ctx.scheduler(), attempt);
      }

      @Override
      public String toString() {
        return "resilience4j retry '" + retry.getName() + "'";
      }
    };
  }

  /** A circuit breaker of the user's own. */
  public static StepPolicy circuitBreaker(CircuitBreaker breaker) {
    Objects.requireNonNull(breaker, "breaker");
    return new StepPolicy() {
      @Override
      public <T> java.util.concurrent.CompletionStage<T> apply(
          java.util.function.Supplier<java.util.concurrent.CompletionStage<T>> attempt,
          dev.runbook4j.spi.PolicyContext ctx) {
        return breaker.executeCompletionStage(attempt);
      }

      @Override
      public String toString() {
        return "resilience4j circuit breaker '" + breaker.getName() + "'";
      }
    };
  }

  /** A time limiter of the user's own, on the engine's scheduler. */
  public static StepPolicy timeLimiter(TimeLimiter limiter) {
    Objects.requireNonNull(limiter, "limiter");
    return new StepPolicy() {
      @Override
      public <T> java.util.concurrent.CompletionStage<T> apply(
          java.util.function.Supplier<java.util.concurrent.CompletionStage<T>> attempt,
          dev.runbook4j.spi.PolicyContext ctx) {
        return limiter.executeCompletionStage(ctx.scheduler(), attempt);
      }

      @Override
      public String toString() {
        return "resilience4j time limiter '" + limiter.getName() + "'";
      }
    };
  }
}
