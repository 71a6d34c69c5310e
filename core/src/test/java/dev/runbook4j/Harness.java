package dev.runbook4j;

import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Shared fixture: an engine on virtual time, an in-memory journal and a log of side effects. */
final class Harness implements AutoCloseable {
  final VirtualTime time = VirtualTime.create();
  final InMemoryJournal journal = new InMemoryJournal();
  final List<String> effects = new CopyOnWriteArrayList<>();
  final Set<String> failing = ConcurrentHashMap.newKeySet();
  final Set<String> failingUndo = ConcurrentHashMap.newKeySet();
  final RunbookEngine engine;

  Harness() {
    this(b -> {});
  }

  Harness(Consumer<RunbookEngine.Builder> config) {
    RunbookEngine.Builder b = RunbookEngine.builder().virtualTime(time).journal(journal).maxWorkers(8);
    config.accept(b);
    engine = b.build();
  }

  /** A compensated step that logs do:NAME / undo:NAME and fails when its name is in {@link #failing}. */
  <P> Consumer<Step.Builder<P, Object>> effect(String name) {
    return s -> s.action(ctx -> {
      effects.add("do:" + name);
      if (failing.contains(name)) {
        throw new IllegalStateException(name + " broke");
      }
      return name + "-out";
    }).compensate((ctx, out) -> {
      effects.add("undo:" + name);
      if (failingUndo.contains(name)) {
        throw new IllegalStateException("undo of " + name + " broke");
      }
    }, RetrySpec.builder().maxAttempts(2).backoff(Duration.ofSeconds(1)).build());
  }

  List<String> undone() {
    List<String> u = new ArrayList<>();
    for (String e : effects) {
      if (e.startsWith("undo:")) {
        u.add(e.substring(5));
      }
    }
    return u;
  }

  List<RunEvent> events(String runId) {
    return journal.read(runId);
  }

  @SuppressWarnings("unchecked")
  <E extends RunEvent> List<E> events(String runId, Class<E> type) {
    List<E> out = new ArrayList<>();
    for (RunEvent e : journal.read(runId)) {
      if (type.isInstance(e)) {
        out.add((E) e);
      }
    }
    return out;
  }

  @Override
  public void close() {
    engine.close();
  }
}
