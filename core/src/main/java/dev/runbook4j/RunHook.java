package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * The moments of a run that a runbook can send a message at ({@link Runbook.Builder#on}).
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public enum RunHook {
  /** The run began (a resumed run does not begin again). */
  STARTED("started"),
  /** An approval gate began waiting for people: once per gate (the details name it and its approvers). */
  AWAITING_APPROVAL("awaitingApproval"),
  /** The run ended {@link RunState#SUCCEEDED}. */
  SUCCEEDED("succeeded"),
  /** The run ended {@link RunState#ROLLED_BACK} (the details say why). */
  ROLLED_BACK("rolledBack"),
  /** The run ended {@link RunState#ROLLBACK_FAILED}: a person must act (the details say what was left). */
  ROLLBACK_FAILED("rollbackFailed");

  private final String label;

  RunHook(String label) {
    this.label = label;
  }

  /** The name scripts and payloads use: {@code started}, {@code awaitingApproval}, ... */
  public String label() {
    return label;
  }

  /** The hook named {@code label} ({@code "rolledBack"}), or an error listing the names. */
  public static RunHook of(String label) {
    for (RunHook h : values()) {
      if (h.label.equals(label) || h.name().equalsIgnoreCase(label)) {
        return h;
      }
    }
    throw new IllegalArgumentException("'" + label + "' is not a run hook; use started, awaitingApproval, succeeded,"
        + " rolledBack or rollbackFailed");
  }
}
