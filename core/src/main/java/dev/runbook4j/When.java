package dev.runbook4j;

import java.util.Objects;
import org.apiguardian.api.API;

/**
 * A node's condition with the words the plan and the journal show for it ({@code "params.canary"}).
 *
 * @param description what the condition asks, in a few words
 * @param condition the question itself
 * @param <P> the runbook's parameter type
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public record When<P>(String description, Condition<P> condition) {
  public When {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(condition, "condition");
  }

  @Override
  public String toString() {
    return description;
  }
}
