package dev.runbook4j.internal.engine;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunListener;
import dev.runbook4j.RunResult;
import dev.runbook4j.Runbook;
import dev.runbook4j.internal.run.Run;
import dev.runbook4j.internal.run.RunHost;
import dev.runbook4j.spi.EngineSettings;
import dev.runbook4j.spi.Interceptor;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.LockManager;
import dev.runbook4j.spi.PolicyAdapter;
import dev.runbook4j.spi.RunLeases;
import dev.runbook4j.spi.Scheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the engine's parts share: the journal and the services built from the settings (the
 * defaults of journal and policy adapter are the factory's to fill), the listeners, and the
 * {@link RunHost} every run talks to — which hands what a run says to the part it concerns: a run
 * that ends to the registry, one that parks to the parking lot, one stopped by a storage error to
 * the heartbeat's recovery.
 */
final class Services implements RunHost {
  private static final Logger log = LoggerFactory.getLogger(Services.class);

  final Journal journal;
  final Clock clock;
  final Scheduler scheduler;
  final Executor workers;
  final PolicyAdapter policies;
  final LockManager locks;
  /** Wraps calls into user code; null when there is none (the common, cheap case). */
  final Interceptor interceptor;
  /** Claims on runs when several runners share the journal; null for a journal of one process. */
  final RunLeases leases;
  /** Waits at least this long park the run (null: never). */
  final Duration parkAfter;
  final int maxValueBytes;
  /** How often leases are renewed and other runners' changes polled. */
  final Duration heartbeat;
  final TimerExecutorService timers;
  /** The runbooks this engine knows, by name: it decides on their runs, and may take them over. */
  final Map<String, Runbook<?>> catalog;
  /** Whether the heartbeat takes over the expired runs of the catalog's runbooks. */
  final boolean takeOver;
  private final ExecutorService ownedPool;
  private final AtomicInteger inUserCode = new AtomicInteger();
  private final SystemScheduler ownedScheduler;
  private final List<RunListener> listeners = new CopyOnWriteArrayList<>();
  volatile boolean closed;

  private RunRegistry registry;
  private ParkingLot parking;
  private Heartbeat beats;

  Services(EngineSettings s) {
    this.journal = Objects.requireNonNull(s.journal(), "journal (the factory fills the default)");
    this.policies = Objects.requireNonNull(s.policyAdapter(), "policyAdapter (the factory fills the default)");
    this.clock = s.clock() != null ? s.clock() : Clock.systemUTC();
    if (s.scheduler() != null) {
      this.scheduler = s.scheduler();
      this.ownedScheduler = null;
    } else {
      this.ownedScheduler = new SystemScheduler();
      this.scheduler = ownedScheduler;
    }
    ExecutorService pool = s.workers();
    if (pool == null) {
      AtomicInteger n = new AtomicInteger();
      int base = Math.min(s.maxWorkers(), Math.max(8, Runtime.getRuntime().availableProcessors() * 4));
      ThreadPoolExecutor tpe = new GrowingPool(base, s.maxWorkers(), inUserCode, r -> {
        Thread t = new Thread(r, "runbook4j-worker-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      this.ownedPool = tpe;
      pool = tpe;
    } else {
      this.ownedPool = null;
    }
    this.workers = scheduler.instrument(pool);
    this.locks = s.lockManager() != null ? s.lockManager()
        : journal.lockManager().orElseGet(InMemoryLockManager::new);
    this.leases = journal.leases().orElse(null);
    this.interceptor = chain(s.interceptors());
    this.catalog = s.runbooks();
    this.takeOver = s.takeOver() && !catalog.isEmpty();
    this.parkAfter = s.parkAfter();
    this.maxValueBytes = s.maxValueBytes();
    this.heartbeat = s.heartbeat() != null ? s.heartbeat()
        : leases != null ? leases.leaseTtl().dividedBy(3) : Duration.ofSeconds(10);
    this.timers = new TimerExecutorService(scheduler, workers, clock);
    this.listeners.addAll(s.listeners());
    this.notifiers = s.notifiers();
    this.notificationRetry = s.notificationRetry() != null ? s.notificationRetry()
        : dev.runbook4j.RetrySpec.builder().maxAttempts(4).backoff(Duration.ofSeconds(1)).multiplier(2).build();
  }

  private final java.util.Map<String, dev.runbook4j.spi.Notifier> notifiers;
  private final dev.runbook4j.RetrySpec notificationRetry;

  @Override
  public dev.runbook4j.spi.Notifier notifier(String channel) {
    dev.runbook4j.spi.Notifier n = notifiers.get(channel);
    return n != null ? n : notifiers.get("*");
  }

  @Override
  public java.util.Set<String> channels() {
    return notifiers.keySet();
  }

  @Override
  public dev.runbook4j.RetrySpec notificationRetry() {
    return notificationRetry;
  }

  /** The parts the runs' calls go to. */
  void wire(RunRegistry registry, ParkingLot parking, Heartbeat beats) {
    this.registry = registry;
    this.parking = parking;
    this.beats = beats;
  }

  /** One interceptor calling the others in turn, the first outermost; null for none. */
  private static Interceptor chain(List<Interceptor> all) {
    Interceptor chained = null;
    for (int i = all.size() - 1; i >= 0; i--) {
      Interceptor outer = all.get(i);
      Interceptor inner = chained;
      chained = inner == null ? outer : call -> outer.intercept(call.withCall(() -> inner.intercept(call)));
    }
    return chained;
  }

  Instant now() {
    return clock.instant();
  }

  void addListener(RunListener l) {
    listeners.add(l);
  }

  void removeListener(RunListener l) {
    listeners.remove(l);
  }

  /** Runs {@code task} on a worker; false (and logged) when the engine is closed. */
  boolean onWorker(Runnable task, String what) {
    try {
      workers.execute(task);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.warn("{}: the engine is closed", what);
      return false;
    }
  }

  /** Shuts down the pools this engine made. */
  void close() {
    closed = true;
    if (ownedPool != null) {
      ownedPool.shutdownNow();
    }
    if (ownedScheduler != null) {
      ownedScheduler.close();
    }
  }

  // ---------------------------------------------------------------- the run's host

  @Override
  public Journal journal() {
    return journal;
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public Scheduler scheduler() {
    return scheduler;
  }

  @Override
  public Executor workers() {
    return workers;
  }

  @Override
  public AtomicInteger inUserCode() {
    return inUserCode;
  }

  @Override
  public ScheduledExecutorService timers() {
    return timers;
  }

  @Override
  public PolicyAdapter policies() {
    return policies;
  }

  @Override
  public LockManager lockManager() {
    return locks;
  }

  @Override
  public Interceptor interceptor() {
    return interceptor;
  }

  @Override
  public Duration parkAfter() {
    return parkAfter;
  }

  @Override
  public int maxValueBytes() {
    return maxValueBytes;
  }

  @Override
  public void dispatch(Run run, RunEvent event) {
    for (RunListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (Throwable t) {
        run.listenerFailures.incrementAndGet();
        log.warn("Listener {} failed on {} of run {}; the run goes on", l, event.getClass().getSimpleName(),
            run.runId, run.shown(t));
      }
    }
  }

  @Override
  public void park(Run run, boolean approval, Instant wakeAt) {
    parking.park(run, approval, wakeAt);
  }

  @Override
  public void ended(Run run, RunResult result) {
    registry.ended(run, result);
  }

  @Override
  public void onStorageError(Run run) {
    beats.onStorageError(run);
  }

  @Override
  public void storageRecovered(Run run) {
    beats.recovered(run);
  }

  /** Tells the listeners that {@code run} is paused on a storage error. */
  void storagePaused(Run run, RunListener.StoragePause pause) {
    for (RunListener l : listeners) {
      try {
        l.onStoragePaused(pause);
      } catch (Throwable t) {
        run.listenerFailures.incrementAndGet();
        log.warn("Listener {} failed on a storage pause of run {}; the run goes on", l, run.runId, run.shown(t));
      }
    }
  }

  /** Tells the listeners that {@code run} goes on after a storage error ({@link Heartbeat#recovered}). */
  void tellRecovered(Run run) {
    for (RunListener l : listeners) {
      try {
        l.onStorageRecovered(run.runId);
      } catch (Throwable t) {
        run.listenerFailures.incrementAndGet();
        log.warn("Listener {} failed on the recovery of run {}; the run goes on", l, run.runId, run.shown(t));
      }
    }
  }

  @Override
  public void onLeaseLost(Run run) {
    registry.onLeaseLost(run);
  }
}
