package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A gate rejected the run: a check said no, an approver rejected, or the gate timed out.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class GateRejectedException extends RunbookException {
  private static final long serialVersionUID = 1L;
  private final String gateId;
  private final String reason;

  public GateRejectedException(String runbook, String runId, String gateId, String reason) {
    super(Messages.gateRejected(runbook, runId, gateId, reason));
    this.gateId = gateId;
    this.reason = reason;
  }

  public String gateId() {
    return gateId;
  }

  public String reason() {
    return reason;
  }
}
