package dev.runbook4j.journal;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.ParkedRuns;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apiguardian.api.API;

/**
 * A journal decorator that injects storage faults, for testing what a runbook and the engine do
 * when the journal misbehaves: writes that fail (a full disk, a lost connection), writes whose
 * sync fails after the data reached the journal (the caller sees an error, yet the event is there),
 * slow writes, and a store of parked runs that fails ({@link #failParkedRuns()}: a run then parks in
 * memory, or wakes late, and nothing is lost).
 *
 * <pre>{@code
 * FaultInjectingJournal journal = FaultInjectingJournal.wrap(new InMemoryJournal());
 * journal.failWrites(e -> e instanceof RunEvent.StepStarted s && s.stepId().equals("shift"));
 * ... the run pauses before 'shift'; the action is not called ...
 * journal.heal();
 * }</pre>
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class FaultInjectingJournal extends dev.runbook4j.spi.ForwardingJournal {
  /** How a write fails. */
  public enum Fault {
    /** Nothing is recorded and the caller gets an error. */
    WRITE_FAILS,
    /** The event is recorded, but the caller gets an error (as when a sync fails after the write). */
    SYNC_FAILS
  }

  /** Sleeps for slow writes; a virtual-time {@code Scheduler::sleep} in tests. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private volatile Predicate<RunEvent> failing = e -> false;
  private volatile Fault fault = Fault.WRITE_FAILS;
  private volatile int remaining = -1;
  private volatile Duration delay = Duration.ZERO;
  private volatile Sleeper sleeper = d -> Thread.sleep(d.toMillis());
  private final AtomicInteger injected = new AtomicInteger();
  private volatile boolean parkedRunsFail;

  private FaultInjectingJournal(Journal inner) {
    super(inner);
  }

  public static FaultInjectingJournal wrap(Journal inner) {
    return new FaultInjectingJournal(inner);
  }

  /** Every write of an event that {@code which} accepts fails, until {@link #heal()}. */
  public FaultInjectingJournal failWrites(Predicate<RunEvent> which) {
    return inject(which, Fault.WRITE_FAILS, -1);
  }

  /** The next {@code count} writes fail with {@code fault}. */
  public FaultInjectingJournal failNext(int count, Fault fault) {
    return inject(e -> true, fault, count);
  }

  /** Writes of events that {@code which} accepts fail with {@code fault}, {@code count} times (-1: until healed). */
  public synchronized FaultInjectingJournal inject(Predicate<RunEvent> which, Fault fault, int count) {
    this.failing = Objects.requireNonNull(which, "which");
    this.fault = Objects.requireNonNull(fault, "fault");
    this.remaining = count;
    return this;
  }

  /** Every write takes {@code delay} more, slept by {@code sleeper}. */
  public FaultInjectingJournal slowWrites(Duration delay, Sleeper sleeper) {
    this.delay = Objects.requireNonNull(delay, "delay");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    return this;
  }

  /**
   * Every call to the journal's parked runs ({@link Journal#parkedRuns()}: recording, finding and
   * taking them) fails, until {@link #heal()}; events are still written.
   */
  public FaultInjectingJournal failParkedRuns() {
    parkedRunsFail = true;
    return this;
  }

  /** Stops injecting faults and delays. */
  public synchronized FaultInjectingJournal heal() {
    failing = e -> false;
    remaining = -1;
    delay = Duration.ZERO;
    parkedRunsFail = false;
    return this;
  }

  /** How many faults were injected so far. */
  public int injected() {
    return injected.get();
  }

  @Override
  public void append(RunEvent event) {
    if (!delay.isZero()) {
      try {
        sleeper.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JournalException("Write of " + event.getClass().getSimpleName() + " was interrupted", e);
      }
    }
    Fault f = take(event);
    if (f == Fault.WRITE_FAILS) {
      throw new JournalException("Injected fault: the write of " + event.getClass().getSimpleName() + " of run "
          + event.runId() + " failed", null);
    }
    delegate().append(event);
    if (f == Fault.SYNC_FAILS) {
      throw new JournalException("Injected fault: the sync after " + event.getClass().getSimpleName() + " of run "
          + event.runId() + " failed (the event was written)", null);
    }
  }

  /** Faults are injected as for {@link #append}: a failing write fails the whole decision. */
  @Override
  public boolean appendIf(String runId, long expected, java.util.List<RunEvent> events) {
    boolean syncFails = false;
    for (RunEvent event : events) {
      Fault f = take(event);
      if (f == Fault.WRITE_FAILS) {
        throw new JournalException("Injected fault: the write of " + event.getClass().getSimpleName() + " of run "
            + event.runId() + " failed", null);
      }
      syncFails |= f == Fault.SYNC_FAILS;
    }
    boolean recorded = delegate().appendIf(runId, expected, events);
    if (syncFails && recorded) {
      throw new JournalException("Injected fault: the sync after the decision on run " + runId
          + " failed (it was written)", null);
    }
    return recorded;
  }

  @Override
  public Optional<ParkedRuns> parkedRuns() {
    return delegate().parkedRuns().map(FailingParkedRuns::new);
  }

  /** The parked runs of the journal, failing while {@link #failParkedRuns()} says so. */
  private final class FailingParkedRuns implements ParkedRuns {
    private final ParkedRuns inner;

    FailingParkedRuns(ParkedRuns inner) {
      this.inner = inner;
    }

    private void check(String what) {
      if (parkedRunsFail) {
        injected.incrementAndGet();
        throw new JournalException("Injected fault: the journal's parked runs could not " + what, null);
      }
    }

    @Override
    public void park(String engine, String runId, Instant wakeAt, boolean approval, long events, int slot) {
      check("record run " + runId);
      inner.park(engine, runId, wakeAt, approval, events, slot);
    }

    @Override
    public boolean take(String runId) {
      check("take run " + runId);
      return inner.take(runId);
    }

    @Override
    public Optional<Parked> find(String runId) {
      check("find run " + runId);
      return inner.find(runId);
    }

    @Override
    public List<Parked> takeDue(String engine, Instant now, int max) {
      check("take the due runs");
      return inner.takeDue(engine, now, max);
    }

    @Override
    public Optional<Instant> next(String engine) {
      check("read the next wake-up");
      return inner.next(engine);
    }

    @Override
    public int count(String engine) {
      check("count the parked runs");
      return inner.count(engine);
    }

    @Override
    public Set<String> runbooksParkedElsewhere(String engine) {
      check("read the runbooks parked elsewhere");
      return inner.runbooksParkedElsewhere(engine);
    }

    @Override
    public List<Parked> adopt(String engine, String runbook, int slot, Instant now) {
      check("adopt the runs of " + runbook);
      return inner.adopt(engine, runbook, slot, now);
    }

    @Override
    public void nudge(String runId, Instant now) {
      check("wake run " + runId);
      inner.nudge(runId, now);
    }
  }

  private synchronized Fault take(RunEvent event) {
    if (remaining == 0 || !failing.test(event)) {
      return null;
    }
    if (remaining > 0) {
      remaining--;
    }
    injected.incrementAndGet();
    return fault;
  }

  @Override
  public String toString() {
    return "FaultInjectingJournal[" + delegate() + "]";
  }
}
