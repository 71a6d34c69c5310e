package dev.runbook4j.internal.run;

import dev.runbook4j.RunState;
import java.util.ArrayList;
import java.util.List;

/**
 * What a run does now: the nodes in progress and what each is doing, in start order, and the state
 * that follows from them. Small (one node per strand); guarded by the run's monitor.
 */
final class Activity {
  private final List<String> ids = new ArrayList<>(4);
  private final List<RunState> states = new ArrayList<>(4);
  private int running;
  private int waiting;
  private int awaiting;

  /** Node {@code id} does {@code s} now. */
  void set(String id, RunState s) {
    int i = ids.indexOf(id);
    if (i < 0) {
      ids.add(id);
      states.add(s);
    } else {
      count(states.set(i, s), -1);
    }
    count(s, 1);
  }

  /** Node {@code id} is done. */
  void clear(String id) {
    int i = ids.lastIndexOf(id);
    if (i >= 0) {
      ids.remove(i);
      count(states.remove(i), -1);
    }
  }

  private void count(RunState s, int delta) {
    if (s == RunState.RUNNING) {
      running += delta;
    } else if (s == RunState.WAITING) {
      waiting += delta;
    } else if (s == RunState.AWAITING_APPROVAL) {
      awaiting += delta;
    }
  }

  /** The state of a run doing this, outside a rollback: an approval first, then a node running, then a wait. */
  RunState state() {
    return awaiting > 0 ? RunState.AWAITING_APPROVAL : running > 0 ? RunState.RUNNING
        : waiting > 0 ? RunState.WAITING : RunState.RUNNING;
  }

  int size() {
    return ids.size();
  }

  /** The nodes in progress, in start order (a copy). */
  List<String> ids() {
    return List.copyOf(ids);
  }

  /** The nodes in progress, as one line ("" for none). */
  String describe() {
    return ids.isEmpty() ? "" : String.join(", ", ids);
  }
}
