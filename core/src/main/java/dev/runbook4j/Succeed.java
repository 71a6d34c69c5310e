package dev.runbook4j;

import java.util.Optional;
import org.apiguardian.api.API;

/**
 * An early, successful end: the run ends {@link RunState#SUCCEEDED} where it reaches this node,
 * for its reason, and nothing after it runs (journaled as {@link RunEvent.SucceededEarly}). Most
 * often the whole of a {@link Choice}'s option: "the fleet is healthy, nothing to do". Not allowed
 * inside a parallel branch or a forEach, where other strands still run.
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public final class Succeed<P> implements Node {
  /** The name every {@code succeed} has: its id is {@code <path>/succeed}. */
  public static final String NAME = "succeed";

  private final String reason;

  Succeed(String reason) {
    this.reason = reason;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The reason the run ends here. */
  @Override
  public String description() {
    return reason;
  }

  public String reason() {
    return reason;
  }

  @Override
  public Optional<When<?>> when() {
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "Succeed[" + reason + "]";
  }
}
