package dev.runbook4j.internal.run;

import dev.runbook4j.RunEvent;
import dev.runbook4j.Scrubber;
import dev.runbook4j.spi.EventCodec;

/**
 * The text of an event scrubbed of the run's secrets before it is journaled and handed to the
 * listeners: every field that may carry what user code said (errors, reasons, causes, comments,
 * summaries, outputs, the parameters' JSON). Ids, states and instants are the engine's own. And an
 * error as one line of such text.
 */
final class Scrubbing {
  private Scrubbing() {}

  /** {@code e}, or a copy with its text scrubbed when some of it showed a secret. */
  static RunEvent event(RunEvent e, Scrubber s) {
    if (s.isEmpty()) {
      return e;
    }
    if (e instanceof RunEvent.StepSucceeded x) {
      Object out = EventCodec.scrubbed(x.output(), s);
      return out == x.output() ? e : new RunEvent.StepSucceeded(x.runId(), x.stepId(), x.attempt(), out, x.at());
    } else if (e instanceof RunEvent.StepReconciled x) {
      Object out = EventCodec.scrubbed(x.output(), s);
      return out == x.output() ? e : new RunEvent.StepReconciled(x.runId(), x.stepId(), x.attempt(), out, x.at());
    } else if (e instanceof RunEvent.StepFailed x) {
      String t = s.scrub(x.error());
      return same(t, x.error()) ? e : new RunEvent.StepFailed(x.runId(), x.stepId(), x.attempt(), t, x.willRetry(),
          x.at());
    } else if (e instanceof RunEvent.StepFailureIgnored x) {
      String t = s.scrub(x.error());
      return same(t, x.error()) ? e : new RunEvent.StepFailureIgnored(x.runId(), x.stepId(), t, x.at());
    } else if (e instanceof RunEvent.CompensationFailed x) {
      String t = s.scrub(x.error());
      return same(t, x.error()) ? e : new RunEvent.CompensationFailed(x.runId(), x.stepId(), x.attempt(), t,
          x.willRetry(), x.at());
    } else if (e instanceof RunEvent.RollbackStarted x) {
      String t = s.scrub(x.cause());
      return same(t, x.cause()) ? e : new RunEvent.RollbackStarted(x.runId(), t, x.toCompensate(), x.at());
    } else if (e instanceof RunEvent.RunStateChanged x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.RunStateChanged(x.runId(), x.from(), x.to(), t, x.at());
    } else if (e instanceof RunEvent.RunFinished x) {
      String t = s.scrub(x.summary());
      return same(t, x.summary()) ? e : new RunEvent.RunFinished(x.runId(), x.state(), t, x.at());
    } else if (e instanceof RunEvent.GateWaiting x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.GateWaiting(x.runId(), x.gateId(), t, x.recheckAt(), x.deadline(),
          x.at());
    } else if (e instanceof RunEvent.GateRejected x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.GateRejected(x.runId(), x.gateId(), t, x.at());
    } else if (e instanceof RunEvent.WatchBreached x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.WatchBreached(x.runId(), x.watchId(), t, x.at());
    } else if (e instanceof RunEvent.ApprovalGranted x) {
      String t = s.scrub(x.comment());
      return same(t, x.comment()) ? e : new RunEvent.ApprovalGranted(x.runId(), x.gateId(), x.user(), t, x.planHash(),
          x.choice(), x.at());
    } else if (e instanceof RunEvent.NodeSkipped x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.NodeSkipped(x.runId(), x.nodeId(), t, x.at());
    } else if (e instanceof RunEvent.ConditionHeld x) {
      String t = s.scrub(x.condition());
      return same(t, x.condition()) ? e : new RunEvent.ConditionHeld(x.runId(), x.nodeId(), t, x.at());
    } else if (e instanceof RunEvent.BranchChosen x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.BranchChosen(x.runId(), x.chooseId(), x.option(), t, x.at());
    } else if (e instanceof RunEvent.SucceededEarly x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.SucceededEarly(x.runId(), x.nodeId(), t, x.at());
    } else if (e instanceof RunEvent.WaitSkipped x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.WaitSkipped(x.runId(), x.waitId(), x.by(), t, x.at());
    } else if (e instanceof RunEvent.NotificationFailed x) {
      String t = s.scrub(x.error());
      return same(t, x.error()) ? e : new RunEvent.NotificationFailed(x.runId(), x.event(), x.channel(), x.key(), t,
          x.at());
    } else if (e instanceof RunEvent.CancelRequested x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.CancelRequested(x.runId(), x.by(), t, x.at());
    } else if (e instanceof RunEvent.LockForceReleased x) {
      String t = s.scrub(x.reason());
      return same(t, x.reason()) ? e : new RunEvent.LockForceReleased(x.runId(), x.key(), x.by(), t, x.at());
    } else if (e instanceof RunEvent.RunStarted x) {
      String t = s.scrub(x.params());
      return same(t, x.params()) ? e : new RunEvent.RunStarted(x.runId(), x.runbook(), x.planHash(), x.requester(), t,
          x.at());
    }
    return e;
  }

  /** {@code t} in one line (its type and message), scrubbed by {@code s}, its message cut at {@code most} characters. */
  static String describe(Throwable t, Scrubber s, int most) {
    if (t == null) {
      return "unknown error";
    }
    String m = s.scrub(t.getMessage());
    if (m != null && m.length() > most) {
      m = m.substring(0, most) + "... (" + (m.length() - most) + " characters more, not journaled)";
    }
    String type = t instanceof Scrubber.ScrubbedException x ? x.originalSimpleName() : t.getClass().getSimpleName();
    return type + (m == null || m.isBlank() ? "" : ": " + m);
  }

  private static boolean same(String scrubbed, String original) {
    return scrubbed == null ? original == null : scrubbed.equals(original);
  }
}
