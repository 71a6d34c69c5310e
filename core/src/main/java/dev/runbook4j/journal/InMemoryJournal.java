package dev.runbook4j.journal;

import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Journal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * A journal in memory: for tests and for embedding without durability. Lost when the process
 * ends.
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class InMemoryJournal implements Journal {
  private final Map<String, List<RunEvent>> runs = new LinkedHashMap<>();
  private final ArrayDeque<String> finished = new ArrayDeque<>();
  private final int keepFinished;

  /** A journal that keeps every run. */
  public InMemoryJournal() {
    this(Integer.MAX_VALUE);
  }

  private InMemoryJournal(int keepFinished) {
    this.keepFinished = keepFinished;
  }

  /**
   * A journal that keeps every run in flight but only the last {@code finishedRuns} ended runs,
   * for long-lived processes that embed the engine without durability.
   */
  public static InMemoryJournal withRetention(int finishedRuns) {
    if (finishedRuns < 0) {
      throw new IllegalArgumentException("finishedRuns must not be negative, was " + finishedRuns);
    }
    return new InMemoryJournal(finishedRuns);
  }

  /**
   * {@inheritDoc}
   *
   * @throws dev.runbook4j.JournalException for a {@code RunStarted} of a run the journal holds already
   *     (two engines that start one run id at the same moment never both start it)
   */
  @Override
  public synchronized void append(RunEvent event) {
    if (event instanceof RunEvent.RunStarted && runs.containsKey(event.runId())) {
      throw new dev.runbook4j.JournalException("Run " + event.runId() + " exists already in this journal; its"
          + " RunStarted was not recorded again", null);
    }
    runs.computeIfAbsent(event.runId(), k -> new ArrayList<>(64)).add(event);
    if (event instanceof RunEvent.RunFinished && keepFinished != Integer.MAX_VALUE) {
      finished.add(event.runId());
      while (finished.size() > keepFinished) {
        runs.remove(finished.poll());
      }
    }
  }

  @Override
  public synchronized boolean appendIf(String runId, long expected, List<RunEvent> events) {
    List<RunEvent> log = runs.get(runId);
    int size = log == null ? 0 : log.size();
    if (size != expected || (size > 0 && log.get(size - 1) instanceof RunEvent.RunFinished)) {
      return false;
    }
    events.forEach(this::append);
    return true;
  }

  @Override
  public synchronized List<RunEvent> read(String runId) {
    List<RunEvent> events = runs.get(runId);
    return events == null ? List.of() : List.copyOf(events);
  }

  @Override
  public synchronized Map<String, Long> lengths(java.util.Collection<String> runIds) {
    Map<String, Long> n = new java.util.HashMap<>();
    for (String id : runIds) {
      List<RunEvent> events = runs.get(id);
      if (events != null) {
        n.put(id, (long) events.size());
      }
    }
    return n;
  }

  @Override
  public synchronized List<String> runIds() {
    return List.copyOf(runs.keySet());
  }

  @Override
  public synchronized String toString() {
    return "InMemoryJournal[" + runs.size() + " runs]";
  }
}
