package dev.runbook4j.journal;

import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Journal;
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

  @Override
  public synchronized void append(RunEvent event) {
    runs.computeIfAbsent(event.runId(), k -> new ArrayList<>()).add(event);
  }

  @Override
  public synchronized List<RunEvent> read(String runId) {
    List<RunEvent> events = runs.get(runId);
    return events == null ? List.of() : List.copyOf(events);
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
