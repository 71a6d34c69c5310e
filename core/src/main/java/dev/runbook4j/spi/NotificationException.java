package dev.runbook4j.spi;

import org.apiguardian.api.API;

/**
 * A message did not get through; {@link #retryable()} says whether trying again may help.
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public class NotificationException extends Exception {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  public NotificationException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
