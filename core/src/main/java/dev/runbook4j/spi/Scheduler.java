package dev.runbook4j.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apiguardian.api.API;

/**
 * Runs the engine's timers: waits, bakes, gate re-checks, retry backoff and timeouts. Together
 * with the engine's {@link java.time.Clock} it is the only source of time, so a
 * {@link VirtualTime} makes hours pass in milliseconds.
 *
 * <p>Implementations must be threadsafe. Tasks must be short; they hand real work to the engine's
 * workers.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface Scheduler {
  /** Runs {@code task} once, after {@code delay} (at once when zero or negative). */
  Cancellable schedule(Duration delay, Runnable task);

  /** Wraps the engine's worker pool so that the scheduler can see when work is in flight. */
  default Executor instrument(Executor workers) {
    return workers;
  }

  /** Sleeps the calling thread, interruptibly: what {@code StepContext.sleep} does. */
  default void sleep(Duration duration) throws InterruptedException {
    TimeUnit.NANOSECONDS.sleep(Math.max(0, duration.toNanos()));
  }

  /**
   * Whether time moves only while a caller {@link #await awaits} (a virtual clock). The engine
   * then never runs a run on the caller's own thread, since that thread must drive time.
   */
  default boolean drivenByAwait() {
    return false;
  }

  /**
   * Blocks until {@code until} is complete (normally or not). A virtual scheduler moves time
   * forward meanwhile, whenever nothing else is running.
   */
  default void await(CompletableFuture<?> until) {
    try {
      until.handle((r, e) -> null).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }
}
