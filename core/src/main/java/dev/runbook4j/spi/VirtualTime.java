package dev.runbook4j.spi;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import org.apiguardian.api.API;

/**
 * A clock and scheduler that tests move forward: hours of waits, bakes, retry backoff and
 * timeouts pass in milliseconds, and the clock reads as if they had passed.
 *
 * <p>Time never moves by itself. It moves when a caller {@link #await awaits} a run (time jumps to
 * the next timer whenever no worker is busy, so {@code engine.run} returns at once), or calls
 * {@link #advance(Duration)} or {@link #runUntilIdle()}. A worker blocked in {@link #sleep} counts
 * as idle, so an action that "takes" ten minutes meets its five-minute timeout.
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-03-02T09:00:00Z"));
 * RunbookEngine engine = RunbookEngine.builder().virtualTime(time).build();
 * RunResult r = engine.run(twelveHourRunbook, params);   // returns in milliseconds
 * }</pre>
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class VirtualTime implements Scheduler {
  private final Object lock = new Object();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final Clock clock;
  private volatile Instant now;
  private long sequence;
  private int busy;
  private int sleeping;
  /** The threads in {@link #sleep} now; guarded by {@link #lock}. */
  private final java.util.Set<Thread> sleepers = new java.util.HashSet<>();

  private VirtualTime(Instant start, ZoneId zone) {
    this.now = start;
    this.clock = new VirtualClock(zone);
  }

  /** Virtual time starting at {@code start}, in UTC. */
  public static VirtualTime startingAt(Instant start) {
    return new VirtualTime(start, ZoneOffset.UTC);
  }

  private static final Instant START = Instant.parse("2026-01-05T09:00:00Z");

  /** Virtual time starting on Monday 2026-01-05 at 09:00 UTC. */
  public static VirtualTime create() {
    return startingAt(START);
  }

  /** The clock to give the engine; it reads virtual time. */
  public Clock clock() {
    return clock;
  }

  /** The current virtual instant. */
  public Instant now() {
    return now;
  }

  /** How many timers are pending. */
  public int pendingTimers() {
    synchronized (lock) {
      return timers.size();
    }
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    Timer t;
    synchronized (lock) {
      Instant at = delay.isNegative() ? now : now.plus(delay);
      t = new Timer(at, sequence++, task);
      timers.add(t);
      lock.notifyAll();
    }
    return () -> {
      synchronized (lock) {
        timers.remove(t);
        lock.notifyAll();
      }
    };
  }

  @Override
  public Executor instrument(Executor workers) {
    return task -> {
      synchronized (lock) {
        busy++;
      }
      try {
        workers.execute(() -> {
          try {
            task.run();
          } finally {
            finished();
          }
        });
      } catch (RejectedExecutionException e) {
        finished();
        throw e;
      }
    };
  }

  private void finished() {
    synchronized (lock) {
      busy--;
      lock.notifyAll();
    }
  }

  @Override
  public void sleep(Duration duration) throws InterruptedException {
    boolean[] woke = {false};
    Thread me = Thread.currentThread();
    Cancellable timer = null;
    try {
      synchronized (lock) {
        sleeping++;
        sleepers.add(me);
        // the timer wakes the sleeper and stops counting it as asleep at once, under the lock: were it
        // counted until the sleeper holds the lock again, time could move past the next timer (a
        // timeout an hour on) before the woken action goes on
        timer = schedule(duration, () -> {
          synchronized (lock) {
            awake(woke, me);
          }
        });
        try {
          // waiting on the lock itself: an interrupted sleeper stops counting as asleep only once it holds
          // the lock again, and until then its interrupt is still set (wakingUp), so time cannot move on
          // in between
          while (!woke[0]) {
            lock.wait();
          }
        } finally {
          awake(woke, me);
        }
      }
    } finally {
      if (timer != null) {
        timer.cancel();
      }
    }
  }

  /** Counts a sleeper as awake (once); holds {@link #lock}. */
  private void awake(boolean[] woke, Thread sleeper) {
    if (!woke[0]) {
      woke[0] = true;
      sleeping--;
      sleepers.remove(sleeper);
    }
    lock.notifyAll();
  }

  @Override
  public boolean drivenByAwait() {
    return true;
  }

  @Override
  public void await(CompletableFuture<?> until) {
    drive(until::isDone, null);
  }

  /**
   * Moves time forward by {@code duration}, firing every timer due on the way (each when the
   * workers have settled), then waits until the workers are idle.
   */
  public void advance(Duration duration) {
    Instant target;
    synchronized (lock) {
      target = now.plus(duration);
    }
    drive(() -> false, target);
  }

  /** Fires the timers that are due now and waits until no worker is busy; time does not move. */
  public void runUntilIdle() {
    drive(() -> false, now);
  }

  private void drive(BooleanSupplier done, Instant limit) {
    while (true) {
      Timer due;
      synchronized (lock) {
        while (true) {
          if (done.getAsBoolean()) {
            return;
          }
          Timer head = timers.peek();
          if (head != null && !head.at.isAfter(now)) {
            due = timers.poll();
            break;
          }
          if (busy == sleeping && !wakingUp()) {
            if (head != null && (limit == null || !head.at.isAfter(limit))) {
              now = head.at;
              due = timers.poll();
              break;
            }
            if (limit != null && now.isBefore(limit)) {
              now = limit;
              continue;
            }
            return;
          }
          try {
            lock.wait(50);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
      due.task.run();
    }
  }

  /**
   * Whether a sleeper was interrupted (a timeout, a cancel, a breached watch) and has not woken yet:
   * it is about to be busy, so time must not move on before it does. Holds {@link #lock}.
   */
  private boolean wakingUp() {
    for (Thread t : sleepers) {
      if (t.isInterrupted()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "VirtualTime[" + now + ", " + pendingTimers() + " timers]";
  }

  private static final class Timer implements Comparable<Timer> {
    final Instant at;
    final long seq;
    final Runnable task;

    Timer(Instant at, long seq, Runnable task) {
      this.at = at;
      this.seq = seq;
      this.task = task;
    }

    @Override
    public int compareTo(Timer o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final class VirtualClock extends Clock {
    private final ZoneId zone;

    VirtualClock(ZoneId zone) {
      this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId z) {
      return new VirtualClock(z);
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
