package dev.runbook4j.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.runbook4j.RunnerInfo;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * Who runs which run, when several runners share one journal. A runner owns the runs it starts or
 * takes over, under a lease it renews on every heartbeat; a runner that stops renewing (killed,
 * stalled, cut off) loses its runs when the lease expires, and another runner takes them and
 * resumes them from the journal. The journal refuses events of a run from a runner that does not
 * own it, so a stalled runner that wakes up cannot write (and so cannot call a step: every step is
 * journaled before it is called).
 *
 * <p>Times are the engine's clock; runners' clocks must agree to well within the lease.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface RunLeases {
  /** This runner's id; unique among live runners, stable across restarts of one runner. */
  String runner();

  /** How long a lease lasts without renewal. */
  Duration leaseTtl();

  /**
   * Claims {@code runId} for this runner if it is unowned, owned by this runner, or its lease has
   * expired; returns the runner that owns it otherwise, or {@code null} when claimed.
   */
  String claim(String runId, Instant now);

  /**
   * Renews the leases of every run this runner owns; returns the runs it still owns, each with the
   * number of events its journal holds (so the engine sees events another process added: a decision
   * on a parked run).
   */
  Map<String, Long> renew(Instant now);

  /**
   * Renews the leases of every run this runner owns, like {@link #renew}, without reading them back
   * (for an engine that keeps no parked run in memory to compare). Default: {@link #renew}.
   */
  default void extend(Instant now) {
    renew(now);
  }

  /**
   * Claims up to {@code max} unfinished runs of the named runbooks whose leases expired (their
   * runner is gone), skipping runs another runner is claiming at this moment; returns their ids.
   */
  List<String> takeExpired(Set<String> runbooks, int max, Instant now);

  /** Gives up this runner's claim on {@code runId} (the run stays unfinished; another may take it). */
  void release(String runId);

  /**
   * The runner {@code runner} as the journal knows it (host, process, since when, until when it is
   * alive), if it does. Default: empty.
   *
   * @since 0.2
   */
  default Optional<RunnerInfo> runnerInfo(String runner) {
    return Optional.empty();
  }

  /**
   * The live runner that holds the claim on {@code runId} at {@code now} (this one included), if any:
   * empty when the run is free, ended, or orphaned (its runner's lease lapsed, or its process on this
   * host is gone). Default: empty.
   *
   * @since 0.2
   */
  default Optional<RunnerInfo> driver(String runId, Instant now) {
    return Optional.empty();
  }
}
