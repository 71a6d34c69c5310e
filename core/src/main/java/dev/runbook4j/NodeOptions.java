package dev.runbook4j;

import java.time.Duration;
import org.apiguardian.api.API;

/**
 * The settings that steps and gates share, written once.
 *
 * @param <S> the concrete builder, so that chains keep their type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public interface NodeOptions<S extends NodeOptions<S>> {
  /** A one-line description shown in the plan. */
  S description(String description);

  /** The longest an attempt (step) or the whole gate may take; {@code null} for none. */
  S timeout(Duration timeout);

  /** What the run does when this node fails for good (default {@link OnFailure#ROLLBACK}). */
  S onFailure(OnFailure onFailure);
}
