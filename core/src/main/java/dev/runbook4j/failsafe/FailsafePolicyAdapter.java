package dev.runbook4j.failsafe;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.Failsafe;
import dev.failsafe.Policy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import dev.runbook4j.spi.PolicyAdapter;
import dev.runbook4j.spi.PolicyContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * A {@link PolicyAdapter} over Failsafe: each attempt runs under a Failsafe {@code Timeout} on the
 * engine's scheduler, inside a Failsafe {@code CircuitBreaker} shared by name across steps.
 *
 * <pre>{@code
 * RunbookEngine.builder().policyAdapter(FailsafePolicyAdapter.create(
 *     name -> CircuitBreaker.builder().withFailureThreshold(3).withDelay(Duration.ofMinutes(1)).build()))
 * }</pre>
 *
 * <p>Failsafe's circuit breakers read the system clock, not the engine's, so their open-state
 * delay is real time even under {@code VirtualTime}. This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class FailsafePolicyAdapter implements PolicyAdapter {
  private final java.util.function.Function<String, CircuitBreaker<Object>> breakerFactory;
  private final Map<String, CircuitBreaker<Object>> breakers = new ConcurrentHashMap<>();

  private FailsafePolicyAdapter(java.util.function.Function<String, CircuitBreaker<Object>> breakerFactory) {
    this.breakerFactory = breakerFactory;
  }

  /** An adapter whose breakers are Failsafe's defaults. */
  public static FailsafePolicyAdapter create() {
    return new FailsafePolicyAdapter(name -> CircuitBreaker.ofDefaults());
  }

  /** An adapter that makes each named breaker with {@code factory}, once. */
  public static FailsafePolicyAdapter create(java.util.function.Function<String, CircuitBreaker<Object>> factory) {
    return new FailsafePolicyAdapter(Objects.requireNonNull(factory, "factory"));
  }

  /** The breaker named {@code name}, made on first use. */
  public CircuitBreaker<Object> circuitBreaker(String name) {
    return breakers.computeIfAbsent(name, breakerFactory);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> CompletionStage<T> execute(Duration timeout, String circuitBreaker, Supplier<CompletionStage<T>> attempt,
      PolicyContext ctx) {
    List<Policy<Object>> policies = new ArrayList<>();
    if (circuitBreaker != null) {
      policies.add(circuitBreaker(circuitBreaker));
    }
    if (timeout != null) {
      policies.add(Timeout.builder(timeout).build());
    }
    if (policies.isEmpty()) {
      return attempt.get();
    }
    CompletableFuture<Object> stage = Failsafe.with(policies).with(ctx.scheduler())
        .getStageAsync(() -> (CompletionStage<Object>) attempt.get());
    return (CompletionStage<T>) stage.handle((r, e) -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof TimeoutExceededException) {
        throw new CompletionException(new TimeoutException("Failsafe timeout of " + timeout + " exceeded"));
      }
      if (cause != null) {
        throw cause instanceof CompletionException ce ? ce : new CompletionException(cause);
      }
      return r;
    });
  }

  @Override
  public String toString() {
    return "FailsafePolicyAdapter";
  }
}
