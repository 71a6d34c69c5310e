package dev.runbook4j.internal.engine;

import dev.runbook4j.spi.Cancellable;
import dev.runbook4j.spi.Scheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The engine's {@link Scheduler} seen as a {@link ScheduledExecutorService}, for Resilience4j and
 * Failsafe: their timeouts and in-call retry delays then run on the engine's (possibly virtual)
 * time. Only one-shot scheduling and {@code execute} are supported; shutdown is the engine's.
 */
final class TimerExecutorService extends AbstractExecutorService implements ScheduledExecutorService {
  private final Scheduler scheduler;
  private final Executor workers;
  private final Clock clock;

  TimerExecutorService(Scheduler scheduler, Executor workers, Clock clock) {
    this.scheduler = scheduler;
    this.workers = workers;
    this.clock = clock;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return schedule(() -> {
      command.run();
      return null;
    }, delay, unit);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    Duration d = Duration.ofNanos(unit.toNanos(delay));
    Timed<V> f = new Timed<>(clock.instant().plus(d));
    f.timer = scheduler.schedule(d, () -> {
      if (f.isDone()) {
        return;
      }
      try {
        f.complete(callable.call());
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    return f;
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not supported by the engine's timer");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not supported by the engine's timer");
  }

  @Override
  public void execute(Runnable command) {
    workers.execute(command);
  }

  @Override
  public void shutdown() {}

  @Override
  public List<Runnable> shutdownNow() {
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return false;
  }

  @Override
  public boolean isTerminated() {
    return false;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return false;
  }

  private final class Timed<V> extends CompletableFuture<V> implements ScheduledFuture<V> {
    private final Instant at;
    volatile Cancellable timer;

    Timed(Instant at) {
      this.at = at;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      Cancellable t = timer;
      if (t != null) {
        t.cancel();
      }
      return super.cancel(mayInterruptIfRunning);
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(clock.instant(), at).toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }
  }
}
