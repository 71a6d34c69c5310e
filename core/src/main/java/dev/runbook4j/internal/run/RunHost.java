package dev.runbook4j.internal.run;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunResult;
import dev.runbook4j.spi.Interceptor;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.LockManager;
import dev.runbook4j.spi.PolicyAdapter;
import dev.runbook4j.spi.Scheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What one run needs from the engine that holds it: the journal and the engine's services, and
 * where to say that it parked, ended or stopped. The run knows nothing else of the engine, so the
 * package of one run does not depend on the package of many.
 */
public interface RunHost {
  Journal journal();

  Clock clock();

  Scheduler scheduler();

  /** The worker pool, instrumented by the scheduler. */
  Executor workers();

  /**
   * How many threads are in user code now (an action, a check, a compensation), counted up as a call
   * starts and down as it ends: the default pool grows when its threads are busy there — calls that
   * block — not when they queue for the journal. A counter nobody reads when the pool is the user's.
   */
  java.util.concurrent.atomic.AtomicInteger inUserCode();

  /** Timers for the policy adapter (timeouts). */
  ScheduledExecutorService timers();

  PolicyAdapter policies();

  LockManager lockManager();

  /** The interceptors around calls into user code, chained; null when there is none. */
  Interceptor interceptor();

  /** Waits at least this long park the run; null: never. */
  Duration parkAfter();

  /** The notifier of {@code channel} (the default one when it has none), or null. */
  default dev.runbook4j.spi.Notifier notifier(String channel) {
    return null;
  }

  /** The channels this engine has notifiers for ("*": a default one). */
  default java.util.Set<String> channels() {
    return java.util.Set.of();
  }

  /** How an undelivered message is tried again. */
  default dev.runbook4j.RetrySpec notificationRetry() {
    return dev.runbook4j.RetrySpec.none();
  }

  /** The largest value journaled, in bytes (an output as JSON). */
  int maxValueBytes();

  /** Hands {@code event}, just recorded by {@code run}, to the engine's listeners. */
  void dispatch(Run run, RunEvent event);

  /** {@code run} parked (it does nothing more); wake it at {@code wakeAt}, or at a decision when null. */
  void park(Run run, boolean approval, Instant wakeAt);

  /** {@code run} ended with {@code result}; called before its {@code done} completes. */
  void ended(Run run, RunResult result);

  /** {@code run} stopped on a storage error: rebuild it when the journal takes writes again. */
  void onStorageError(Run run);

  /** {@code run}, rebuilt after a storage error, recorded its first event: the journal takes writes again. */
  void storageRecovered(Run run);

  /** {@code run} was taken over by another runner: forget it here. */
  void onLeaseLost(Run run);
}
