package dev.runbook4j.testing;

import dev.runbook4j.RunState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * One way a run can fail, found by a {@link FailureExplorer}: a step failing (with an error or by
 * timing out), a gate rejecting, a watch breaching during a wait, a wait timing out, a compensation
 * failing during a rollback, or the engine crashing before or after a journal write (and a new one
 * resuming on the same journal). It knows how to inject itself and what it should end in; its
 * {@link #name()} says what the path proves:
 * {@code fail 'shift-50' by timeout → compensates shift-50, shift-10, publish}.
 *
 * <p>This class is immutable.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class FailurePoint {
  /** The kinds of failure point. */
  public enum Kind {
    /** No fault: the path every other one departs from. */
    NONE,
    /** A step's action fails on every attempt. */
    STEP_FAILS,
    /** A step's action times out on every attempt. */
    STEP_TIMES_OUT,
    /** A gate rejects the run. */
    GATE_REJECTS,
    /** A watch breaches during a bake or a waitUntil. */
    WATCH_BREACHES,
    /** A waitUntil's condition never holds. */
    WAIT_TIMES_OUT,
    /** A compensation fails on every attempt, during the rollback of another failure point. */
    COMPENSATION_FAILS,
    /** The engine dies just before a journal write; a new one resumes the run. */
    CRASH_BEFORE_WRITE,
    /** The engine dies just after a journal write; a new one resumes the run. */
    CRASH_AFTER_WRITE
  }

  private final Kind kind;
  private final String node;
  private final String during;
  private final int write;
  private final String event;
  private final FailurePoint on;
  private final RunState expected;
  private final List<String> undo;

  private FailurePoint(Kind kind, String node, String during, int write, String event, FailurePoint on,
      RunState expected, List<String> undo) {
    this.kind = kind;
    this.node = node;
    this.during = during;
    this.write = write;
    this.event = event;
    this.on = on;
    this.expected = expected;
    this.undo = List.copyOf(undo);
  }

  static FailurePoint none() {
    return new FailurePoint(Kind.NONE, null, null, 0, null, null, RunState.SUCCEEDED, List.of());
  }

  static FailurePoint of(Kind kind, String node, String during, RunState expected, List<String> undo) {
    return new FailurePoint(kind, node, during, 0, null, null, expected, undo);
  }

  /** The gate before the rollback is rejected by a person, in the rollback of {@code on}: nothing is undone. */
  static FailurePoint rollbackGateRejects(String gate, FailurePoint on) {
    return new FailurePoint(Kind.GATE_REJECTS, gate, null, 0, null, on, RunState.ABORTED, List.of());
  }

  static FailurePoint compensationFails(String step, FailurePoint on) {
    return compensationFails(step, on, false);
  }

  /** {@code stops}: the step's compensation stops the rollback when it fails; those after it are not attempted. */
  static FailurePoint compensationFails(String step, FailurePoint on, boolean stops) {
    List<String> undo = new ArrayList<>(on.undo);
    int at = undo.indexOf(step);
    if (stops && at >= 0) {
      undo.subList(at, undo.size()).clear();
    }
    undo.remove(step);
    return new FailurePoint(Kind.COMPENSATION_FAILS, step, null, 0, null, on, RunState.ROLLBACK_FAILED, undo);
  }

  static FailurePoint crash(boolean before, int write, String event, FailurePoint on) {
    FailurePoint path = on == null ? none() : on;
    return new FailurePoint(before ? Kind.CRASH_BEFORE_WRITE : Kind.CRASH_AFTER_WRITE, null, null, write, event,
        on, path.expected, path.undo);
  }

  public Kind kind() {
    return kind;
  }

  /** The step, gate or wait id, or the watch's name; null for {@link Kind#NONE} and crashes. */
  public String node() {
    return node;
  }

  /** For {@link Kind#WATCH_BREACHES}, the bake or waitUntil the breach comes in; else null. */
  public String during() {
    return during;
  }

  /** For crashes, the position of the journal write (1 is the run's first event); else 0. */
  public int write() {
    return write;
  }

  /**
   * The failure point whose path this one happens on: the failure being rolled back when a
   * compensation fails, the failure a crash interrupts (null when it interrupts the path without
   * fault).
   */
  public java.util.Optional<FailurePoint> on() {
    return java.util.Optional.ofNullable(on);
  }

  /**
   * The state the run should end in; null when either success or rollback is right (a failure in a
   * forEach that tolerates errors).
   */
  public RunState expectedState() {
    return expected;
  }

  /** The steps the path is expected to undo, in order, as the path without fault ordered them. */
  public List<String> expectedCompensations() {
    return undo;
  }

  /** Injects this failure point into {@code faults}. */
  public void applyTo(Faults faults) {
    switch (kind) {
      case NONE -> { }
      case STEP_FAILS -> faults.failStep(node);
      case STEP_TIMES_OUT -> faults.failStep(node).byTimeout();
      case GATE_REJECTS -> {
        if (on != null) {
          on.applyTo(faults);
        }
        faults.rejectGate(node);
      }
      case WATCH_BREACHES -> faults.breachWatch(node).during(during);
      case WAIT_TIMES_OUT -> faults.neverSatisfied(node);
      case COMPENSATION_FAILS -> {
        on.applyTo(faults);
        faults.failCompensation(node);
      }
      case CRASH_BEFORE_WRITE, CRASH_AFTER_WRITE -> {
        if (on != null) {
          on.applyTo(faults);
        }
        if (kind == Kind.CRASH_BEFORE_WRITE) {
          faults.crashBeforeWrite(write);
        } else {
          faults.crashAfterWrite(write);
        }
      }
    }
  }

  /** What the path does, and what it should come to. */
  public String name() {
    return cause() + " → " + outcome();
  }

  /** What the path does: "fail 'shift-50' by timeout". */
  public String cause() {
    return switch (kind) {
      case NONE -> "no fault";
      case STEP_FAILS -> "fail '" + node + "'";
      case STEP_TIMES_OUT -> "fail '" + node + "' by timeout";
      case GATE_REJECTS -> "reject gate '" + node + "'" + (on == null ? "" : " in the rollback after " + on.cause());
      case WATCH_BREACHES -> "breach watch '" + node + "' during '" + during + "'";
      case WAIT_TIMES_OUT -> "wait '" + node + "' times out";
      case COMPENSATION_FAILS -> "fail undo of '" + node + "' in the rollback after " + on.cause();
      case CRASH_BEFORE_WRITE, CRASH_AFTER_WRITE -> "crash " + (kind == Kind.CRASH_BEFORE_WRITE ? "before" : "after")
          + " write " + write + " (" + event + ")" + (on == null ? "" : " after " + on.cause());
    };
  }

  private String outcome() {
    String prefix = kind == Kind.CRASH_BEFORE_WRITE || kind == Kind.CRASH_AFTER_WRITE ? "resumes, " : "";
    if (expected == null) {
      return prefix + "succeeds or " + (undo.isEmpty() ? "rolls back" : "compensates " + String.join(", ", undo));
    }
    return prefix + switch (expected) {
      case SUCCEEDED -> "succeeds";
      case ABORTED -> on != null && kind == Kind.GATE_REJECTS ? "aborts, nothing undone" : "aborts";
      case ROLLBACK_FAILED -> "rollback fails" + (undo.isEmpty() ? "" : ", compensates " + String.join(", ", undo))
          + ", leaves '" + node + "'";
      default -> undo.isEmpty() ? "rolls back, nothing to undo" : "compensates " + String.join(", ", undo);
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FailurePoint p && kind == p.kind && write == p.write && Objects.equals(node, p.node)
        && Objects.equals(during, p.during) && Objects.equals(on, p.on);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, node, during, write, on);
  }

  @Override
  public String toString() {
    return name();
  }
}
