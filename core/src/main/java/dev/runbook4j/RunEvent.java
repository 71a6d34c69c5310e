package dev.runbook4j;

import java.time.Instant;
import java.util.List;
import org.apiguardian.api.API;

/**
 * What happened in a run, as typed values: the journal stores them, listeners receive them, and
 * a run's state is the fold of its events. Each carries the run id and the instant from the
 * engine's clock.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public sealed interface RunEvent {
  String runId();

  Instant at();

  /** A run began; {@code planHash} binds approvals to this exact plan. */
  record RunStarted(String runId, String runbook, String planHash, String requester, String params,
      Instant at) implements RunEvent {}

  /**
   * {@code by} let the run go on with plan {@code planHash} (a changed runbook or script) where it
   * had plan {@code fromPlanHash}: from here on the run is bound to the new plan, and the approvals
   * given before it no longer count (its open gates need them again).
   */
  record PlanAccepted(String runId, String fromPlanHash, String planHash, String by, Instant at) implements RunEvent {}

  /** A run was picked up again from its journal, after a restart, with the plan {@code planHash}. */
  record RunResumed(String runId, String planHash, Instant at) implements RunEvent {}

  /** A step's {@code reconcile} hook found that the attempt before the restart took effect. */
  record StepReconciled(String runId, String stepId, int attempt, Object output, Instant at) implements RunEvent {}

  /** The run moved to {@code state}, for {@code reason}. */
  record RunStateChanged(String runId, RunState from, RunState to, String reason, Instant at) implements RunEvent {}

  /** Write-ahead intent: durable before the action is called. */
  record StepStarted(String runId, String stepId, int attempt, String idempotencyKey, Instant at)
      implements RunEvent {}

  /** The step's action returned {@code output}; durable before the next node starts. */
  record StepSucceeded(String runId, String stepId, int attempt, Object output, Instant at) implements RunEvent {}

  /** One attempt failed with {@code error}; {@code willRetry} tells whether another follows. */
  record StepFailed(String runId, String stepId, int attempt, String error, boolean willRetry, Instant at)
      implements RunEvent {}

  /** The next attempt is due at {@code nextAttemptAt} (an absolute instant, so it survives restarts). */
  record StepRetryScheduled(String runId, String stepId, int nextAttempt, Instant nextAttemptAt, Instant at)
      implements RunEvent {}

  /**
   * The failure of step {@code stepId}'s attempt {@code attempt}, its last, matched the rule
   * {@code rule}, which routes it to {@code route}; journaled before its {@link StepFailed}, so a
   * resumed run routes it the same.
   *
   * @since 0.9
   */
  record FailureRouted(String runId, String stepId, int attempt, OnFailure route, String rule, Instant at)
      implements RunEvent {}

  /** A failed step's failure was ignored ({@code onFailure(CONTINUE)}). */
  record StepFailureIgnored(String runId, String stepId, String error, Instant at) implements RunEvent {}

  /**
   * A gate answered "not yet"; it is checked again at {@code recheckAt}, and rejects at
   * {@code deadline} (null: no timeout).
   */
  record GateWaiting(String runId, String gateId, String reason, Instant recheckAt, Instant deadline, Instant at)
      implements RunEvent {}

  record GatePassed(String runId, String gateId, Instant at) implements RunEvent {}

  record GateRejected(String runId, String gateId, String reason, Instant at) implements RunEvent {}

  /** An approval gate waits for {@code minApprovals} of {@code approvers}, until {@code deadline} (may be null). */
  record ApprovalRequested(String runId, String gateId, String approvers, int minApprovals, Instant deadline,
      Instant at) implements RunEvent {}

  /**
   * {@code user} approved; recorded before the approval is acknowledged. {@code choice}: the option
   * they chose, for a gate that asks one (since 0.9), else null.
   */
  record ApprovalGranted(String runId, String gateId, String user, String comment, String planHash, String choice,
      Instant at) implements RunEvent {
    /** An approval without a choice (the form before 0.9). */
    public ApprovalGranted(String runId, String gateId, String user, String comment, String planHash, Instant at) {
      this(runId, gateId, user, comment, planHash, null, at);
    }
  }

  /** A wait (sleep, waitUntil, bake) began and ends at {@code deadline}. */
  record WaitStarted(String runId, String waitId, Wait.Kind kind, Instant deadline, Instant at) implements RunEvent {}

  record WaitFinished(String runId, String waitId, Instant at) implements RunEvent {}

  /**
   * {@code by} ended the wait {@code waitId} before its time ({@code reason}); a decision, journaled
   * before it is acknowledged, and taken by the rules of the wait's {@code skippableBy}.
   *
   * @since 0.9
   */
  record WaitSkipped(String runId, String waitId, String by, String reason, Instant at) implements RunEvent {}

  record WatchBreached(String runId, String watchId, String reason, Instant at) implements RunEvent {}

  /** The rollback began; {@code toCompensate} lists the started steps in the order they will be undone. */
  record RollbackStarted(String runId, String cause, List<String> toCompensate, Instant at) implements RunEvent {
    public RollbackStarted {
      toCompensate = List.copyOf(toCompensate);
    }
  }

  record CompensationStarted(String runId, String stepId, int attempt, Instant at) implements RunEvent {}

  record CompensationSucceeded(String runId, String stepId, int attempt, Instant at) implements RunEvent {}

  /** A compensation attempt failed; {@code willRetry} tells whether another follows. */
  record CompensationFailed(String runId, String stepId, int attempt, String error, boolean willRetry, Instant at)
      implements RunEvent {}

  /** A started step that cannot be undone (irreversible) or needs no undo (read-only) was passed over. */
  record CompensationSkipped(String runId, String stepId, Reversibility reversibility, Instant at)
      implements RunEvent {}

  /**
   * The condition of node {@code nodeId} ({@code when}) held: the node runs. Journaled before it
   * starts, so that a resumed run decides the same.
   *
   * @since 0.9
   */
  record ConditionHeld(String runId, String nodeId, String condition, Instant at) implements RunEvent {}

  /**
   * Node {@code nodeId} was passed over: its condition did not hold ({@code reason} says which). A
   * skipped step never started, so no rollback undoes it.
   *
   * @since 0.9
   */
  record NodeSkipped(String runId, String nodeId, String reason, Instant at) implements RunEvent {}

  /**
   * The {@code choose} {@code chooseId} took its option {@code option} (null: none held and it has
   * no {@code otherwise}), for {@code reason}.
   *
   * @since 0.9
   */
  record BranchChosen(String runId, String chooseId, String option, String reason, Instant at) implements RunEvent {}

  /**
   * The run reached {@code succeed} at {@code nodeId}: it ends {@link RunState#SUCCEEDED} here, for
   * {@code reason}, and nothing after it runs.
   *
   * @since 0.9
   */
  record SucceededEarly(String runId, String nodeId, String reason, Instant at) implements RunEvent {}

  /**
   * The rollback stopped at {@code stepId}, whose compensation failed for good and says
   * {@link OnCompensationFailure#STOP}: {@code notAttempted} lists the started steps it did not undo.
   *
   * @since 0.9
   */
  record RollbackStopped(String runId, String stepId, List<String> notAttempted, Instant at) implements RunEvent {
    public RollbackStopped {
      notAttempted = List.copyOf(notAttempted);
    }
  }

  /**
   * A run hook's message ({@code event}: {@code started}, {@code awaitingApproval}...) got through
   * to {@code channel} after {@code attempts} tries; {@code key} is its idempotency key. A resumed
   * run does not send it again.
   *
   * @since 0.9
   */
  record NotificationSent(String runId, String event, String channel, String key, int attempts, Instant at)
      implements RunEvent {}

  /**
   * A run hook's message to {@code channel} did not get through ({@code error}, after its retries);
   * the run goes on as if it had: a notification never changes how a run ends.
   *
   * @since 0.9
   */
  record NotificationFailed(String runId, String event, String channel, String key, String error, Instant at)
      implements RunEvent {}

  record CancelRequested(String runId, String by, String reason, Instant at) implements RunEvent {}

  /**
   * The run queued for the lock {@code key}, held by run {@code holder} (null when it was released
   * meanwhile): it waits until it is granted ({@link LockChanged}).
   *
   * @since 0.2
   */
  record LockWaiting(String runId, String key, String holder, Instant at) implements RunEvent {}

  /** A lock was taken ({@code acquired}) or released. */
  record LockChanged(String runId, String key, boolean acquired, Instant at) implements RunEvent {}

  /**
   * {@code by} released the lock {@code key} that this run kept when it ended (rolled back only in
   * part, or aborted), so that the next run may take it: written after the run's end.
   */
  record LockForceReleased(String runId, String key, String by, String reason, Instant at) implements RunEvent {}

  /** The run ended in {@code state}. */
  record RunFinished(String runId, RunState state, String summary, Instant at) implements RunEvent {}
}
