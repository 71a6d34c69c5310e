package dev.runbook4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Parked runs kept in the journal: for each run an engine parked, when to wake it. An engine whose
 * journal has them keeps nothing of a parked run in memory (no entry, no timer of its own): it asks
 * for the runs that are due when its one timer fires, and rebuilds each from its events. Records
 * belong to the engine that wrote them (its {@code engine} id, new for every engine object); a
 * record of an engine that is gone is taken by whoever resumes its run.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface ParkedRuns {
  /**
   * Records that {@code runId} waits (replacing an earlier record of it).
   *
   * @param engine the engine that parks it
   * @param wakeAt when to wake it; {@code null}: only a decision wakes it
   * @param approval whether it waits at an approval
   * @param events how many events its journal held when it parked
   * @param slot a number the engine uses to find the run's runbook again (meaningful to that engine only)
   */
  void park(String engine, String runId, Instant wakeAt, boolean approval, long events, int slot);

  /** Removes the record of {@code runId}; true for the one caller that removed it (it wakes the run). */
  boolean take(String runId);

  /** The record of {@code runId}, if it is parked. */
  Optional<Parked> find(String runId);

  /** Removes and returns up to {@code max} records of {@code engine} due at {@code now}, earliest first. */
  List<Parked> takeDue(String engine, Instant now, int max);

  /** The earliest time a record of {@code engine} is due, if any has one. */
  Optional<Instant> next(String engine);

  /** How many runs {@code engine} has parked here. */
  int count(String engine);

  /** The runbooks of the runs parked here by engines other than {@code engine} (gone, usually: a restart). */
  java.util.Set<String> runbooksParkedElsewhere(String engine);

  /**
   * Takes over the records other engines left for runs of {@code runbook} that this journal's runner
   * may run (unowned, its own, or whose lease expired at {@code now}), claiming their leases: they
   * become {@code engine}'s, with {@code slot}. Returns them as they now are.
   */
  List<Parked> adopt(String engine, String runbook, int slot, Instant now);

  /**
   * Another process recorded a decision on {@code runId} (an approval, a rejection, a cancel): makes
   * its record due at {@code now}, unless it is due earlier, so that the engine that parked it takes
   * it on its next sweep or heartbeat. Nothing happens when the run has no record.
   */
  void nudge(String runId, Instant now);

  /**
   * A parked run.
   *
   * @param runId the run
   * @param engine the engine that parked it
   * @param wakeAt when to wake it, or null
   * @param approval whether it waits at an approval
   * @param events how many events its journal held when it parked
   * @param slot the parking engine's number for its runbook
   */
  record Parked(String runId, String engine, Instant wakeAt, boolean approval, long events, int slot) {}
}
