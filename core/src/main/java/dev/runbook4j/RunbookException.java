package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * The root of Runbook4j's unchecked exceptions: definition errors, failed steps, rejected gates,
 * breached watches, failed compensations and journal errors all extend it.
 *
 * <p>Messages name the runbook, the run, the node and the state, and say what to do next.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class RunbookException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RunbookException(String message) {
    super(message);
  }

  public RunbookException(String message, Throwable cause) {
    super(message, cause);
  }
}
