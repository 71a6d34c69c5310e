package dev.runbook4j.internal.run;

import dev.runbook4j.ApprovalException;
import dev.runbook4j.ApprovalSpec;
import dev.runbook4j.Wait;

/** Who may end a wait before its time: checked wherever the decision is taken. */
public final class WaitSkips {
  private WaitSkips() {}

  /**
   * Throws an {@link ApprovalException} naming why {@code user} may not skip wait {@code waitId}
   * ({@code w}, null when the runbook has none): the run is over or rolling back, the wait is not
   * going on, it is not skippable, or the user is not one its rules name.
   */
  public static void check(Wait<?> w, String waitId, String runId, String runbook, String user, String requester,
      boolean over, boolean started, boolean finished) {
    String run = "run " + runId + " (" + runbook + ")";
    if (w == null) {
      throw new ApprovalException("Runbook '" + runbook + "' has no wait '" + waitId + "'; waits are skipped by their"
          + " id, as the plan shows it");
    }
    ApprovalSpec spec = w.skippableBy().orElseThrow(() -> new ApprovalException("Wait '" + waitId + "' of " + run
        + " cannot be skipped: it names no skippableBy"));
    if (over) {
      throw new ApprovalException("Wait '" + waitId + "' of " + run + " cannot be skipped: the run has ended, is rolling"
          + " back or was cancelled");
    }
    if (!started || finished) {
      throw new ApprovalException("Wait '" + waitId + "' of " + run + " is not going on" + (finished ? " (it is over)"
          : " (the run has not reached it)") + "; only a wait going on can be skipped");
    }
    if (user == null || user.isBlank()) {
      throw new ApprovalException("A skip of wait '" + waitId + "' of " + run + " names no user");
    }
    if (user.equals(requester) && !spec.requesterMayApprove()) {
      throw new ApprovalException("User '" + user + "' requested " + run + " and may not skip its wait '" + waitId
          + "'; ask another (" + spec + ")");
    }
    if (!spec.mayApprove(user)) {
      throw new ApprovalException("User '" + user + "' may not skip wait '" + waitId + "' of " + run + "; it needs "
          + spec);
    }
  }
}
