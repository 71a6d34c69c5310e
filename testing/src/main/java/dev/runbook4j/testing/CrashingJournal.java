package dev.runbook4j.testing;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.LockManager;
import dev.runbook4j.spi.RunLeases;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The journal one engine incarnation of the kit writes through: it counts each run's writes and,
 * when a crash fault is due, "kills the process": that write (or the next, for a crash after it)
 * and every later one fail, and the incarnation is dead: the kit calls no more user code for it.
 */
final class CrashingJournal implements Journal {
  private final Journal inner;
  private final Faults faults;
  private final Consumer<String> onCrash;
  private final Map<String, Integer> written = new ConcurrentHashMap<>();
  private volatile String crash;

  CrashingJournal(Journal inner, Faults faults, Consumer<String> onCrash) {
    this.inner = inner;
    this.faults = faults;
    this.onCrash = onCrash;
  }

  /** Why this incarnation died, or null while it lives. */
  String crash() {
    return crash;
  }

  @Override
  public void append(RunEvent event) {
    String dead = crash;
    if (dead != null) {
      throw new JournalException("The engine is dead (" + dead + "); nothing more is written", null);
    }
    if (!faults.hasCrashes()) {
      inner.append(event);
      count(event);
      return;
    }
    int position;
    synchronized (this) {
      position = written.computeIfAbsent(event.runId(), id -> inner.read(id).size()) + 1;
    }
    Faults.Crash before = faults.crashAt(event, position, true);
    if (before != null) {
      throw die("crash before write " + position + " (" + JournalText.describe(event) + ")");
    }
    inner.append(event);
    synchronized (this) {
      written.put(event.runId(), position);
    }
    Faults.Crash after = faults.crashAt(event, position, false);
    if (after != null) {
      throw die("crash after write " + position + " (" + JournalText.describe(event) + ")");
    }
  }

  /** Keeps a run's write count current once it is being counted (a crash fault was set during it). */
  private void count(RunEvent event) {
    if (!written.isEmpty()) {
      synchronized (this) {
        written.computeIfPresent(event.runId(), (id, n) -> n + 1);
      }
    }
  }

  synchronized JournalException die(String why) {
    if (crash == null) {
      crash = why;
      onCrash.accept(why);
    }
    return new JournalException("Simulated " + why + ": the engine is dead", null);
  }

  @Override
  public List<RunEvent> read(String runId) {
    return inner.read(runId);
  }

  @Override
  public List<String> runIds() {
    return inner.runIds();
  }

  @Override
  public List<String> unfinishedRunIds() {
    return inner.unfinishedRunIds();
  }

  @Override
  public Optional<String> problem(String runId) {
    return inner.problem(runId);
  }

  @Override
  public void idle(String runId) {
    inner.idle(runId);
  }

  @Override
  public Optional<dev.runbook4j.spi.ParkedRuns> parkedRuns() {
    return inner.parkedRuns();
  }

  @Override
  public Optional<LockManager> lockManager() {
    return inner.lockManager();
  }

  @Override
  public Optional<RunLeases> leases() {
    return inner.leases();
  }
}
