package dev.runbook4j;

import java.time.Duration;
import org.apiguardian.api.API;

/**
 * What a step's action or compensation sees: everything of {@link RunContext} plus the step id,
 * the attempt and its idempotency key.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public interface StepContext<P> extends RunContext<P> {
  /** The step's stable id: its path of names, with the item in brackets inside a forEach. */
  String stepId();

  /** The attempt number, starting at 1. */
  int attempt();

  /**
   * A key that is the same for every attempt of this step in this run, and across restarts; pass it
   * to the target as a client token so that a repeated attempt is not applied twice.
   */
  String idempotencyKey();

  /**
   * The fencing token under which this run holds the lock {@code lockKey}, if it holds it. The
   * token grows with every grant of the lock, so a target that remembers the highest token it has
   * seen can refuse a write from a runner that lost the run (the pattern of a fencing token); the
   * engine itself checks it before each step that changes something.
   */
  default java.util.OptionalLong fencingToken(String lockKey) {
    return java.util.OptionalLong.empty();
  }

  /**
   * Sleeps on the engine's clock, interruptibly: a real sleep in production, a virtual one in tests.
   * Use it instead of {@code Thread.sleep} inside actions.
   */
  void sleep(Duration duration) throws InterruptedException;

  /**
   * Sends {@code text} to the engine's notifier {@code channel}, masked of the run's secrets and
   * tried again as the engine's notification retry says; the text as sent. Throws when it did not
   * get through.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  default String send(String channel, String text) throws Exception {
    throw new UnsupportedOperationException("this context cannot send messages");
  }

  /** Whether the run has been asked to cancel; long actions may check it and stop early. */
  boolean cancelRequested();
}
