package dev.runbook4j.spi;

import dev.runbook4j.RunListener;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import org.apiguardian.api.API;

/**
 * What {@code RunbookEngine.builder()} collected, handed to the {@link EngineFactory}. A
 * {@code null} means "use the default".
 *
 * @param journal where events go (default: in memory)
 * @param clock the engine's clock (default: UTC system clock)
 * @param scheduler timers (default: one daemon timer thread)
 * @param workers the pool that runs actions and checks (default: daemon threads, 4 per core and
 *     growing while actions block up to {@code maxWorkers}, shut down by {@code close})
 * @param maxWorkers the most threads of the default pool
 * @param policyAdapter timeouts and circuit breakers (default: Resilience4j)
 * @param lockManager locks (default: FIFO in memory)
 * @param listeners listeners registered at build time
 * @param runbooks the runbooks the engine knows, by name: it decides on their runs, and takes them over from dead
 *     runners when {@code takeOver}
 * @param takeOver whether the heartbeat takes over the expired runs of {@code runbooks} (since 0.2)
 * @param heartbeat how often leases are renewed and other runners' changes polled (null: default)
 * @param parkAfter waits at least this long park the run in the journal (null: never)
 * @param interceptors wrap every call into user code, the first outermost
 * @param maxValueBytes the largest value the engine journals (an output, as JSON), in bytes; 0: the
 *     default, 1 MiB (since 0.2)
 * @param notifiers the notifiers runbooks send messages to, by channel name (since 0.9)
 * @param notificationRetry how a message that did not get through is tried again (null: the
 *     default, 4 attempts from 1 s doubling) (since 0.9)
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record EngineSettings(Journal journal, Clock clock, Scheduler scheduler, ExecutorService workers,
    int maxWorkers, PolicyAdapter policyAdapter, LockManager lockManager, List<RunListener> listeners,
    java.util.Map<String, dev.runbook4j.Runbook<?>> runbooks, boolean takeOver, java.time.Duration heartbeat,
    java.time.Duration parkAfter, List<Interceptor> interceptors, int maxValueBytes,
    java.util.Map<String, dev.runbook4j.spi.Notifier> notifiers, dev.runbook4j.RetrySpec notificationRetry) {
  /** The default of {@code maxValueBytes}. */
  public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;

  public EngineSettings {
    if (maxValueBytes < 0) {
      throw new IllegalArgumentException("maxValueBytes must not be negative, was " + maxValueBytes);
    }
    maxValueBytes = maxValueBytes == 0 ? DEFAULT_MAX_VALUE_BYTES : maxValueBytes;
    listeners = List.copyOf(listeners);
    interceptors = List.copyOf(interceptors);
    runbooks = java.util.Map.copyOf(runbooks);
    notifiers = java.util.Map.copyOf(notifiers);
  }

  /** The settings of an engine with no notifier (the form before 0.9). */
  public EngineSettings(Journal journal, Clock clock, Scheduler scheduler, ExecutorService workers,
      int maxWorkers, PolicyAdapter policyAdapter, LockManager lockManager, List<RunListener> listeners,
      java.util.Map<String, dev.runbook4j.Runbook<?>> runbooks, boolean takeOver, java.time.Duration heartbeat,
      java.time.Duration parkAfter, List<Interceptor> interceptors, int maxValueBytes) {
    this(journal, clock, scheduler, workers, maxWorkers, policyAdapter, lockManager, listeners, runbooks, takeOver,
        heartbeat, parkAfter, interceptors, maxValueBytes, java.util.Map.of(), null);
  }
}
