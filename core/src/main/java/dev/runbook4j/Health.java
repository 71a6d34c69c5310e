package dev.runbook4j;

import java.util.Objects;
import org.apiguardian.api.API;

/**
 * A watch's reading: healthy, or breached with a reason.
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Health {
  private static final Health HEALTHY = new Health(true, "healthy");
  private final boolean healthy;
  private final String reason;

  private Health(boolean healthy, String reason) {
    this.healthy = healthy;
    this.reason = reason;
  }

  public static Health healthy() {
    return HEALTHY;
  }

  public static Health breached(String reason) {
    return new Health(false, Objects.requireNonNull(reason, "reason"));
  }

  public boolean isHealthy() {
    return healthy;
  }

  public String reason() {
    return reason;
  }

  @Override
  public String toString() {
    return healthy ? "healthy" : "breached (" + reason + ")";
  }
}
