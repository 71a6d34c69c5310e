package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * The journal could not record an event. The engine never calls an action whose intent could not
 * be journaled, and stops the run instead of skipping the write.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class JournalException extends RunbookException {
  private static final long serialVersionUID = 1L;

  public JournalException(String message, Throwable cause) {
    super(message, cause);
  }
}
