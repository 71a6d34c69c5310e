package dev.runbook4j.testing;

import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Invocation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What a run's journal and calls say about effects that happened twice. */
final class Effects {
  private Effects() {}

  static List<String> duplicates(TestRun run) {
    List<String> problems = new ArrayList<>();
    Map<String, Integer> succeeded = new LinkedHashMap<>();
    Map<String, Integer> undone = new LinkedHashMap<>();
    Map<String, String> keys = new LinkedHashMap<>();
    Set<String> intents = new HashSet<>();
    Set<String> undoIntents = new HashSet<>();
    int restarts = 0;
    for (RunEvent e : run.events()) {
      if (e instanceof RunEvent.StepStarted s) {
        intents.add(s.stepId() + "#" + s.attempt());
        String was = keys.putIfAbsent(s.stepId(), s.idempotencyKey());
        if (was != null && !was.equals(s.idempotencyKey())) {
          problems.add("step '" + s.stepId() + "' attempt " + s.attempt() + " carried idempotency key '"
              + s.idempotencyKey() + "', an earlier attempt '" + was + "'");
        }
      } else if (e instanceof RunEvent.StepSucceeded s) {
        succeeded.merge(s.stepId(), 1, Integer::sum);
      } else if (e instanceof RunEvent.StepReconciled s) {
        succeeded.merge(s.stepId(), 1, Integer::sum);
      } else if (e instanceof RunEvent.CompensationStarted s) {
        undoIntents.add(s.stepId() + "#" + s.attempt());
      } else if (e instanceof RunEvent.CompensationSucceeded s) {
        undone.merge(s.stepId(), 1, Integer::sum);
      } else if (e instanceof RunEvent.RunResumed) {
        restarts++;
      }
    }
    succeeded.forEach((step, n) -> {
      if (n > 1) {
        problems.add("the journal shows step '" + step + "' succeeded " + n + " times");
      }
    });
    undone.forEach((step, n) -> {
      if (n > 1) {
        problems.add("the journal shows step '" + step + "' undone " + n + " times");
      }
    });
    Map<String, Integer> actionsDone = new LinkedHashMap<>();
    Map<String, Integer> undosDone = new LinkedHashMap<>();
    for (Call c : run.calls()) {
      if (!c.called()) {
        continue;
      }
      String at = c.nodeId() + "#" + c.attempt();
      if (c.kind() == Invocation.Kind.ACTION) {
        if (!intents.contains(at)) {
          problems.add("step '" + c.nodeId() + "' attempt " + c.attempt() + " was called without its intent in the"
              + " journal first");
        }
        if (!c.failed()) {
          actionsDone.merge(c.nodeId(), 1, Integer::sum);
        }
      } else if (c.kind() == Invocation.Kind.COMPENSATION) {
        if (!undoIntents.contains(at)) {
          problems.add("the compensation of step '" + c.nodeId() + "' attempt " + c.attempt() + " was called without"
              + " its intent in the journal first");
        }
        if (!c.failed()) {
          undosDone.merge(c.nodeId(), 1, Integer::sum);
        }
      }
    }
    int allowed = 1 + restarts;
    String across = restarts == 0 ? "" : " across " + restarts + (restarts == 1 ? " restart" : " restarts");
    actionsDone.forEach((step, n) -> {
      if (n > allowed) {
        problems.add("step '" + step + "' completed " + n + " times" + across);
      }
    });
    undosDone.forEach((step, n) -> {
      if (n > allowed) {
        problems.add("the compensation of step '" + step + "' completed " + n + " times" + across);
      }
    });
    return problems;
  }
}
