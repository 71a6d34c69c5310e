package dev.runbook4j.internal.engine;

import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's default worker pool, sized for actions that block (an AWS call, a health check, a
 * script's HTTP request): it keeps {@code base} threads, and when work has queued behind busy
 * threads for {@link #PATIENCE_MS} it doubles, up to {@code max}; once few threads are busy and it
 * has not needed more for two seconds, it goes back to {@code base} (the extra threads end as soon
 * as they are idle), and base threads end after 30 s idle. CPU-bound bursts seldom make it grow
 * (they drain within the patience), nor do threads that queue for the journal's writer (it grows
 * only while at least half of its busy threads are in user code); blocked actions always do.
 *
 * <p>Not virtual threads, though they would serve blocking actions best, because before JDK 24 a
 * virtual thread blocked inside {@code synchronized} (as JDBC drivers and much user code are) pins
 * its carrier, and a handful of pinned carriers stall every run; a user on JDK 24 or later may pass
 * {@code Executors.newVirtualThreadPerTaskExecutor()} to {@code RunbookEngine.Builder.workers}.
 */
final class GrowingPool extends ThreadPoolExecutor {
  /** How long queued work waits behind busy threads before the pool grows. */
  static final long PATIENCE_MS = 20;

  /** How long after it last grew the pool keeps its size though few threads are busy (a lull between waves). */
  static final long SETTLE_NS = TimeUnit.SECONDS.toNanos(2);

  private static final ScheduledExecutorService MONITOR = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "runbook4j-workers-monitor");
    t.setDaemon(true);
    return t;
  });

  private final int base;
  private final int max;
  private final AtomicBoolean watching = new AtomicBoolean();
  private final AtomicBoolean settling = new AtomicBoolean();
  /** When the pool last grew (System.nanoTime), or found it still needed its size. */
  private volatile long neededAt;

  private final AtomicInteger inUserCode;

  /**
   * @param inUserCode how many threads are in user code now; the pool grows only while at least
   *     half of its busy threads are (a burst that queues for the journal's writer gains nothing
   *     from more threads)
   */
  GrowingPool(int base, int max, AtomicInteger inUserCode, ThreadFactory threads) {
    super(base, base, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
    this.base = base;
    this.max = max;
    this.inUserCode = inUserCode;
    allowCoreThreadTimeOut(true);
  }

  @Override
  public void execute(Runnable task) {
    super.execute(task);
    if (!getQueue().isEmpty() && getCorePoolSize() < max && watching.compareAndSet(false, true)) {
      MONITOR.schedule(this::check, PATIENCE_MS, TimeUnit.MILLISECONDS);
    }
  }

  /** Work still queued after the patience: every thread is busy, so add as many again. */
  private void check() {
    watching.set(false);
    if (isShutdown() || getQueue().isEmpty()) {
      return;
    }
    if (inUserCode.get() * 2 < getActiveCount()) {
      // busy elsewhere (the journal, the engine's own work): more threads would only queue there; look again
      if (watching.compareAndSet(false, true)) {
        MONITOR.schedule(this::check, PATIENCE_MS, TimeUnit.MILLISECONDS);
      }
      return;
    }
    synchronized (this) {
      int size = getCorePoolSize();
      if (size < max) {
        int grown = Math.min(max, size * 2);
        setMaximumPoolSize(grown);   // the bound first: the core may never exceed it
        setCorePoolSize(grown);
      }
      neededAt = System.nanoTime();
    }
    if (settling.compareAndSet(false, true)) {
      MONITOR.schedule(this::settle, SETTLE_NS, TimeUnit.NANOSECONDS);
    }
    if (!getQueue().isEmpty() && getCorePoolSize() < max && watching.compareAndSet(false, true)) {
      MONITOR.schedule(this::check, PATIENCE_MS, TimeUnit.MILLISECONDS);
    }
  }

  /** Back to the base size once the pool has not needed more for a while and few threads are busy. */
  private void settle() {
    settling.set(false);
    if (isShutdown() || getCorePoolSize() <= base) {
      return;
    }
    boolean quiet = getQueue().isEmpty() && getActiveCount() <= Math.max(1, base / 2);
    if (quiet && System.nanoTime() - neededAt > SETTLE_NS) {
      synchronized (this) {
        setCorePoolSize(base);      // the core first: it may never exceed the bound
        setMaximumPoolSize(base);   // the extra threads end as soon as they are idle
      }
    } else if (settling.compareAndSet(false, true)) {
      MONITOR.schedule(this::settle, SETTLE_NS, TimeUnit.NANOSECONDS);
    }
  }
}
