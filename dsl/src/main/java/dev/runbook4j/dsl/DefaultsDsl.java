package dev.runbook4j.dsl;

import dev.runbook4j.StepDefaults;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The keywords inside {@code defaults { }}: what every step inherits unless it sets its own.
 *
 * <pre>{@code
 * defaults {
 *   retry maxAttempts: 3, backoff: '10s'
 *   timeout '5m'
 * }
 * }</pre>
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public final class DefaultsDsl {
  private final StepDefaults defaults;

  DefaultsDsl(StepDefaults defaults) {
    this.defaults = defaults;
  }

  /** {@code retry maxAttempts: 3, backoff: '10s'}: the options of a step's {@code retry}. */
  public void retry(Map<String, Object> options) {
    defaults.retry(StepDsl.retrySpec(options));
  }

  /** {@code timeout '5m'}: the timeout of each attempt of every step that sets none. */
  public void timeout(Object timeout) {
    defaults.timeout(Dsl.duration(timeout, "defaults timeout"));
  }
}
