package dev.runbook4j.failsafe;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.Failsafe;
import dev.runbook4j.spi.PolicyAdapter;
import dev.runbook4j.spi.PolicyContext;
import java.time.Duration;
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
 * A {@link PolicyAdapter} over Failsafe: each attempt runs inside a Failsafe {@code CircuitBreaker}
 * shared by name across steps, under a timeout kept on the engine's scheduler (Failsafe's own
 * {@code Timeout} would always use real time).
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
    Supplier<CompletionStage<T>> call = timeout == null ? attempt : () -> withTimeout(timeout, attempt, ctx);
    if (circuitBreaker == null) {
      return call.get();
    }
    Supplier<CompletionStage<T>> inner = call;
    return (CompletionStage<T>) Failsafe.with(circuitBreaker(circuitBreaker)).with(ctx.scheduler())
        .getStageAsync(() -> (CompletionStage<Object>) inner.get())
        .handle((r, e) -> {
          if (e != null) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            throw cause instanceof CompletionException ce ? ce : new CompletionException(cause);
          }
          return r;
        });
  }

  /**
   * Failsafe 3.3's {@code Timeout} always schedules on Failsafe's own real-time thread, whatever
   * scheduler the executor has, so the timeout is enforced here, on the engine's scheduler, where a
   * virtual clock reaches it.
   */
  private static <T> CompletionStage<T> withTimeout(Duration timeout, Supplier<CompletionStage<T>> attempt,
      PolicyContext ctx) {
    CompletableFuture<T> result = new CompletableFuture<>();
    java.util.concurrent.ScheduledFuture<?> timer = ctx.scheduler().schedule(
        () -> result.completeExceptionally(new TimeoutException("timeout of " + timeout + " exceeded")),
        timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    CompletionStage<T> stage;
    try {
      stage = attempt.get();
    } catch (RuntimeException e) {
      timer.cancel(false);
      return CompletableFuture.failedFuture(e);
    }
    stage.whenComplete((r, e) -> {
      timer.cancel(false);
      if (e != null) {
        result.completeExceptionally(e);
      } else {
        result.complete(r);
      }
    });
    return result;
  }

  @Override
  public String toString() {
    return "FailsafePolicyAdapter";
  }
}
