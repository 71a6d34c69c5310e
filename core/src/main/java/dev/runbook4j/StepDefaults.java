package dev.runbook4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * What every step of a runbook inherits unless it sets its own: a retry and an attempt timeout
 * ({@link Runbook.Builder#defaults}). The plan marks what a step inherited. Not threadsafe while
 * configured; the values are read once, as the steps are built.
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public final class StepDefaults {
  private RetrySpec retry;
  private Duration timeout;

  StepDefaults() {}

  /** The retry of every step that sets none. */
  public StepDefaults retry(RetrySpec retry) {
    this.retry = Objects.requireNonNull(retry, "retry");
    return this;
  }

  /** The attempt timeout of every step that sets none. */
  public StepDefaults timeout(Duration timeout) {
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  public Optional<RetrySpec> retry() {
    return Optional.ofNullable(retry);
  }

  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  List<String> problems() {
    List<String> p = new ArrayList<>();
    if (retry != null) {
      p.addAll(retry.problems());
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      p.add("timeout must be positive, was " + Durations.format(timeout));
    }
    return p;
  }
}
