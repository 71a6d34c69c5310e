package dev.runbook4j.internal.run;

import dev.runbook4j.ApprovalException;
import dev.runbook4j.ApprovalSpec;

/** The choice an approval carries, checked against its gate's options wherever a decision is taken. */
public final class ApprovalChoice {
  private ApprovalChoice() {}

  /** A choice that fits the gate's options: one of them when it has any, none when it has none. */
  public static void check(ApprovalSpec spec, String gateId, String runId, String choice) {
    if (spec.options().isEmpty() && choice != null) {
      throw new ApprovalException("Gate '" + gateId + "' of run " + runId + " asks no choice; approve it without one");
    }
    if (!spec.options().isEmpty() && (choice == null || !spec.options().contains(choice))) {
      throw new ApprovalException("Gate '" + gateId + "' of run " + runId + " asks its approver to choose one of "
          + spec.options() + (choice == null ? "; none was given" : "; '" + choice + "' is none of them"));
    }
  }
}
