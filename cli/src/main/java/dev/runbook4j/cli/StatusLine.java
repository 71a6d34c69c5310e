package dev.runbook4j.cli;

import dev.runbook4j.Durations;
import dev.runbook4j.RunEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one line a terminal shows under the event lines while a run goes on: what it is doing now —
 * the step and its attempt, the time left in a wait or bake, who still has to approve and the
 * command to do it. Rendered from the run's journal, so decisions made in another shell show too.
 */
final class StatusLine {
  private StatusLine() {}

  /** The widest a status line gets when the terminal does not say ({@code COLUMNS}). */
  static final int DEFAULT_WIDTH = 100;

  /** The terminal's width from {@code COLUMNS}, else {@link #DEFAULT_WIDTH}. */
  static int width() {
    try {
      int w = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "").trim());
      return w >= 20 ? w - 1 : DEFAULT_WIDTH;   // one column left: a full line would wrap on some terminals
    } catch (NumberFormatException e) {
      return DEFAULT_WIDTH;
    }
  }

  /** {@link #render(String, List, Instant)} cut to {@code width} characters, ending in "…" when cut. */
  static String render(String runId, List<RunEvent> events, Instant now, int width) {
    String line = render(runId, events, now);
    return line.length() <= width ? line : line.substring(0, Math.max(0, width - 1)) + "…";
  }

  static String render(String runId, List<RunEvent> events, Instant now) {
    Map<String, Integer> running = new LinkedHashMap<>();
    Map<String, Instant> waits = new LinkedHashMap<>();
    Map<String, RunEvent.ApprovalRequested> asked = new LinkedHashMap<>();
    Map<String, Set<String>> approved = new LinkedHashMap<>();
    Map<String, Instant> rechecks = new LinkedHashMap<>();
    Map<String, String> lockWaits = new LinkedHashMap<>();
    boolean rollingBack = false;
    for (RunEvent e : events) {
      if (e instanceof RunEvent.StepStarted s) {
        running.put(s.stepId(), s.attempt());
      } else if (e instanceof RunEvent.StepSucceeded s) {
        running.remove(s.stepId());
      } else if (e instanceof RunEvent.StepFailed s) {
        running.remove(s.stepId());
      } else if (e instanceof RunEvent.WaitStarted w) {
        waits.put(w.waitId(), w.deadline());
      } else if (e instanceof RunEvent.WaitFinished w) {
        waits.remove(w.waitId());
      } else if (e instanceof RunEvent.ApprovalRequested a) {
        asked.put(a.gateId(), a);
      } else if (e instanceof RunEvent.ApprovalGranted a) {
        approved.computeIfAbsent(a.gateId(), k -> new LinkedHashSet<>()).add(a.user());
      } else if (e instanceof RunEvent.GatePassed g) {
        asked.remove(g.gateId());
        rechecks.remove(g.gateId());
      } else if (e instanceof RunEvent.GateRejected g) {
        asked.remove(g.gateId());
        rechecks.remove(g.gateId());
      } else if (e instanceof RunEvent.GateWaiting g) {
        rechecks.put(g.gateId(), g.recheckAt());
      } else if (e instanceof RunEvent.LockWaiting l) {
        lockWaits.put(l.key(), l.holder());
      } else if (e instanceof RunEvent.LockChanged l) {
        lockWaits.remove(l.key());
      } else if (e instanceof RunEvent.RollbackStarted) {
        rollingBack = true;
        running.clear();
        waits.clear();
        asked.clear();
      } else if (e instanceof RunEvent.CompensationStarted c) {
        running.put("undo " + c.stepId(), c.attempt());
      } else if (e instanceof RunEvent.CompensationSucceeded c) {
        running.remove("undo " + c.stepId());
      } else if (e instanceof RunEvent.RunFinished f) {
        return "run " + runId + ": " + f.state();
      }
    }
    List<String> parts = new ArrayList<>();
    lockWaits.forEach((key, holder) -> parts.add("waiting for lock " + key
        + (holder == null || holder.isEmpty() ? "" : " (held by " + holder + ")")));
    running.forEach((id, attempt) -> parts.add((id.startsWith("undo ") ? id : "step " + id)
        + (attempt > 1 ? " (attempt " + attempt + ")" : "")));
    waits.forEach((id, deadline) -> parts.add(id + ": " + left(now, deadline) + " left"));
    rechecks.forEach((id, at) -> parts.add("gate " + id + ": next check in " + left(now, at)));
    asked.forEach((gate, a) -> {
      Set<String> by = approved.getOrDefault(gate, Set.of());
      parts.add("gate " + gate + ": " + by.size() + " of " + a.minApprovals() + " approvals"
          + (by.isEmpty() ? "" : " (" + String.join(", ", by) + ")") + " · runbook4j approve " + runId + " " + gate
          + " --as USER");
    });
    String what = parts.isEmpty() ? "running" : String.join(" · ", parts);
    return "run " + runId + (rollingBack ? " rolling back: " : ": ") + what;
  }

  private static String left(Instant now, Instant deadline) {
    Duration d = Duration.between(now, deadline);
    if (d.isNegative()) {
      return "0s";
    }
    return Durations.format(d.minusNanos(d.getNano()));
  }
}
