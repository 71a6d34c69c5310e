package dev.runbook4j.testing;

import dev.runbook4j.RunEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apiguardian.api.API;

/**
 * A run's journal as a table a person reads when a test fails: virtual time since the run began,
 * the event, the step or gate, the attempt, and what happened.
 *
 * <pre>
 *   +0s          run started            plan 3f2a9c1e0b7d by requester
 *   +0s          step started           publish #1
 *   +0s          step succeeded         publish #1
 *   +10m         step failed            shift-50 #1: injected by the test: step 'shift-50' fails
 *   +10m         compensation started   shift-50 #1
 * </pre>
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class JournalText {
  private JournalText() {}

  /** The table of {@code events} (one run's), one line per event, each indented by two spaces. */
  public static String of(List<RunEvent> events) {
    if (events.isEmpty()) {
      return "  (no events)\n";
    }
    Instant start = events.get(0).at();
    StringBuilder sb = new StringBuilder();
    for (RunEvent e : events) {
      String offset = "+" + dev.runbook4j.Durations.format(Duration.between(start, e.at()));
      String[] parts = split(e);
      sb.append("  ").append(pad(offset, 12)).append(' ').append(pad(parts[0], 22)).append(' ').append(parts[1])
          .append('\n');
    }
    return sb.toString();
  }

  /** One event in a few words: "StepStarted 'shift-50' #2". */
  public static String describe(RunEvent e) {
    String[] parts = split(e);
    return parts[0] + (parts[1].isEmpty() ? "" : " " + parts[1]);
  }

  private static String[] split(RunEvent e) {
    if (e instanceof RunEvent.RunStarted s) {
      return new String[] {"run started", "'" + s.runbook() + "' plan " + s.planHash().substring(0, 12) + " by "
          + s.requester()};
    } else if (e instanceof RunEvent.RunResumed s) {
      return new String[] {"run resumed", "plan " + s.planHash().substring(0, 12)};
    } else if (e instanceof RunEvent.PlanAccepted s) {
      return new String[] {"plan accepted", s.planHash().substring(0, 12) + " in place of "
          + s.fromPlanHash().substring(0, 12) + " by " + s.by() + "; approvals given before no longer count"};
    } else if (e instanceof RunEvent.StepStarted s) {
      return new String[] {"step started", s.stepId() + " #" + s.attempt()};
    } else if (e instanceof RunEvent.StepSucceeded s) {
      return new String[] {"step succeeded", s.stepId() + " #" + s.attempt()};
    } else if (e instanceof RunEvent.StepReconciled s) {
      return new String[] {"step reconciled", s.stepId() + " #" + s.attempt()};
    } else if (e instanceof RunEvent.StepFailed s) {
      return new String[] {"step failed", s.stepId() + " #" + s.attempt() + ": " + s.error()
          + (s.willRetry() ? " (will retry)" : "")};
    } else if (e instanceof RunEvent.StepRetryScheduled s) {
      return new String[] {"retry scheduled", s.stepId() + " #" + s.nextAttempt() + " at " + s.nextAttemptAt()};
    } else if (e instanceof RunEvent.StepFailureIgnored s) {
      return new String[] {"failure ignored", s.stepId()};
    } else if (e instanceof RunEvent.GateWaiting s) {
      return new String[] {"gate waiting", s.gateId() + ": " + s.reason()};
    } else if (e instanceof RunEvent.GatePassed s) {
      return new String[] {"gate passed", s.gateId()};
    } else if (e instanceof RunEvent.GateRejected s) {
      return new String[] {"gate rejected", s.gateId() + ": " + s.reason()};
    } else if (e instanceof RunEvent.ApprovalRequested s) {
      return new String[] {"approval requested", s.gateId() + " from " + s.approvers()};
    } else if (e instanceof RunEvent.ApprovalGranted s) {
      return new String[] {"approval granted", s.gateId() + " by " + s.user() + (s.choice() == null ? ""
          : ", choosing " + s.choice())};
    } else if (e instanceof RunEvent.WaitStarted s) {
      String kind = switch (s.kind()) {
        case SLEEP -> "sleep";
        case BAKE -> "bake";
        default -> "waitUntil";
      };
      return new String[] {kind + " started", s.waitId() + " until " + s.deadline()};
    } else if (e instanceof RunEvent.WaitSkipped s) {
      return new String[] {"wait skipped", s.waitId() + " by " + s.by() + (s.reason().isEmpty() ? "" : ": " + s.reason())};
    } else if (e instanceof RunEvent.WaitFinished s) {
      return new String[] {"wait finished", s.waitId()};
    } else if (e instanceof RunEvent.WatchBreached s) {
      return new String[] {"watch breached", s.watchId() + ": " + s.reason()};
    } else if (e instanceof RunEvent.RollbackStarted s) {
      return new String[] {"rollback started", "undo " + s.toCompensate() + ": " + s.cause()};
    } else if (e instanceof RunEvent.CompensationStarted s) {
      return new String[] {"compensation started", s.stepId() + " #" + s.attempt()};
    } else if (e instanceof RunEvent.CompensationSucceeded s) {
      return new String[] {"compensated", s.stepId() + " #" + s.attempt()};
    } else if (e instanceof RunEvent.CompensationFailed s) {
      return new String[] {"compensation failed", s.stepId() + " #" + s.attempt() + ": " + s.error()
          + (s.willRetry() ? " (will retry)" : "")};
    } else if (e instanceof RunEvent.CompensationSkipped s) {
      return new String[] {"not undone", s.stepId() + " (" + s.reversibility().name().toLowerCase(
          java.util.Locale.ROOT).replace('_', '-') + ")"};
    } else if (e instanceof RunEvent.ConditionHeld s) {
      return new String[] {"condition held", s.nodeId() + ": " + s.condition()};
    } else if (e instanceof RunEvent.NodeSkipped s) {
      return new String[] {"node skipped", s.nodeId() + ": " + s.reason()};
    } else if (e instanceof RunEvent.BranchChosen s) {
      return new String[] {"branch chosen", s.chooseId() + (s.option() == null ? ": none" : " → " + s.option())
          + " (" + s.reason() + ")"};
    } else if (e instanceof RunEvent.SucceededEarly s) {
      return new String[] {"succeeded early", s.nodeId() + ": " + s.reason()};
    } else if (e instanceof RunEvent.NotificationSent s) {
      return new String[] {"message sent", s.event() + " → " + s.channel() + (s.attempts() > 1 ? " (" + s.attempts()
          + " attempts)" : "")};
    } else if (e instanceof RunEvent.NotificationFailed s) {
      return new String[] {"message not sent", s.event() + " → " + s.channel() + ": " + s.error()};
    } else if (e instanceof RunEvent.FailureRouted s) {
      return new String[] {"failure routed", s.stepId() + " #" + s.attempt() + " → " + s.route().name().toLowerCase(
          java.util.Locale.ROOT) + " (on " + s.rule() + ")"};
    } else if (e instanceof RunEvent.RollbackStopped s) {
      return new String[] {"rollback stopped", "at " + s.stepId() + "; not attempted " + s.notAttempted()};
    } else if (e instanceof RunEvent.CancelRequested s) {
      return new String[] {"cancel requested", "by " + s.by() + (s.reason().isEmpty() ? "" : ": " + s.reason())};
    } else if (e instanceof RunEvent.LockWaiting s) {
      return new String[] {"lock waited for", s.key() + (s.holder() == null ? "" : " (held by run " + s.holder() + ")")};
    } else if (e instanceof RunEvent.LockChanged s) {
      return new String[] {s.acquired() ? "lock acquired" : "lock released", s.key()};
    } else if (e instanceof RunEvent.LockForceReleased s) {
      return new String[] {"lock force-released", s.key() + " by " + s.by()};
    } else if (e instanceof RunEvent.RunStateChanged s) {
      return new String[] {"state", s.from() + " → " + s.to() + (s.reason() == null || s.reason().isEmpty() ? ""
          : ": " + s.reason())};
    } else if (e instanceof RunEvent.RunFinished s) {
      return new String[] {"run finished", s.state() + (s.summary().isEmpty() ? "" : ": " + s.summary())};
    }
    return new String[] {e.getClass().getSimpleName(), ""};
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
