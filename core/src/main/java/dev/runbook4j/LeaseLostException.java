package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * This runner no longer owns the run: its lease expired (the process stalled or lost the
 * database) and another runner took the run over, or the run's lock was handed on. The run object
 * here stops at once and writes nothing more; the run goes on where its new owner is.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class LeaseLostException extends JournalException {
  private static final long serialVersionUID = 1L;

  public LeaseLostException(String message) {
    super(message, null);
  }
}
