package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * An approval or rejection was refused: the user may not approve, the gate is not waiting, or the
 * approval was given for another plan. Nothing is recorded.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class ApprovalException extends RunbookException {
  private static final long serialVersionUID = 1L;

  public ApprovalException(String message) {
    super(message);
  }
}
