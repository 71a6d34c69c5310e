package dev.runbook4j.testing;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Journal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The journal one engine incarnation of the kit writes through: it counts each run's writes and,
 * when a crash fault is due, "kills the process": that write (or the next, for a crash after it)
 * and every later one fail, and the incarnation is dead: the kit calls no more user code for it.
 */
final class CrashingJournal extends dev.runbook4j.spi.ForwardingJournal {
  private final Faults faults;
  private final Consumer<String> onCrash;
  private final Map<String, Integer> written = new ConcurrentHashMap<>();
  private volatile String crash;

  CrashingJournal(Journal inner, Faults faults, Consumer<String> onCrash) {
    super(inner);
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
      delegate().append(event);
      count(event);
      return;
    }
    int position;
    synchronized (this) {
      position = written.computeIfAbsent(event.runId(), id -> delegate().read(id).size()) + 1;
    }
    Faults.Crash before = faults.crashAt(event, position, true);
    if (before != null) {
      throw die("crash before write " + position + " (" + JournalText.describe(event) + ")");
    }
    delegate().append(event);
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

}
