package dev.runbook4j.resilience4j;

import dev.runbook4j.spi.PolicyAdapter;
import dev.runbook4j.spi.PolicyContext;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * The default {@link PolicyAdapter}: each attempt runs under a Resilience4j {@code TimeLimiter}
 * on the engine's scheduler, inside a {@code CircuitBreaker} from one registry per engine, so every
 * step naming the same breaker shares it.
 *
 * <pre>{@code
 * RunbookEngine.builder().policyAdapter(Resilience4jPolicyAdapter.create(
 *     CircuitBreakerConfig.custom().failureRateThreshold(50).minimumNumberOfCalls(4).build()))
 * }</pre>
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Resilience4jPolicyAdapter implements PolicyAdapter {
  private final java.util.function.Supplier<CircuitBreakerRegistry> registry;
  /** Made when first needed: most engines (a test kit's, one per run) never use a breaker. */
  private volatile CircuitBreakerRegistry breakers;

  private Resilience4jPolicyAdapter(java.util.function.Supplier<CircuitBreakerRegistry> registry) {
    this.registry = registry;
  }

  /** An adapter whose breakers use Resilience4j's default configuration. */
  public static Resilience4jPolicyAdapter create() {
    return new Resilience4jPolicyAdapter(CircuitBreakerRegistry::ofDefaults);
  }

  /** An adapter whose breakers use {@code config}. */
  public static Resilience4jPolicyAdapter create(CircuitBreakerConfig config) {
    java.util.Objects.requireNonNull(config, "config");
    return new Resilience4jPolicyAdapter(() -> CircuitBreakerRegistry.of(config));
  }

  /** The breakers, for metrics and inspection. */
  public CircuitBreakerRegistry circuitBreakers() {
    CircuitBreakerRegistry b = breakers;
    if (b == null) {
      synchronized (this) {
        b = breakers;
        if (b == null) {
          breakers = b = registry.get();
        }
      }
    }
    return b;
  }

  @Override
  public <T> CompletionStage<T> execute(Duration timeout, String circuitBreaker, Supplier<CompletionStage<T>> attempt,
      PolicyContext ctx) {
    Supplier<CompletionStage<T>> call = attempt;
    if (timeout != null) {
      TimeLimiter limiter = TimeLimiter.of(ctx.stepId(),
          TimeLimiterConfig.custom().timeoutDuration(timeout).cancelRunningFuture(true).build());
      Supplier<CompletionStage<T>> inner = call;
      call = () -> limiter.executeCompletionStage(ctx.scheduler(), inner);
    }
    if (circuitBreaker != null) {
      CircuitBreaker breaker = circuitBreakers().circuitBreaker(circuitBreaker);
      call = CircuitBreaker.decorateCompletionStage(breaker, call);
    }
    return call.get();
  }

  @Override
  public String toString() {
    return "Resilience4jPolicyAdapter";
  }
}
