package dev.runbook4j.journal.jdbc;

import dev.runbook4j.RunnerInfo;
import dev.runbook4j.spi.RunLeases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who drives which run. A run's head row names its owner (a runner) and the lease it got when it
 * was taken; the runner's row in {@code rb4j_runners} says until when it is alive (its heartbeat
 * renews one row, whatever the number of its runs) and which process it lives in. A run is free
 * when it has no owner, or when its own lease and its owner's have both lapsed, or when its owner
 * lived on this host in a process that is gone (then at once: a SIGKILLed runner's runs need not
 * wait out a lease).
 */
final class JdbcLeases implements RunLeases, Session.Listener {
  /**
   * The runs a runner may claim (parameters: the runner, now, now): unowned, its own, or whose lease
   * expired — the lease it got when its runner took it, and its runner's, renewed by its heartbeat.
   */
  static final String CLAIMABLE = "(owner IS NULL OR owner = ? OR (lease_until < ? AND NOT EXISTS"
      + " (SELECT 1 FROM rb4j_runners w WHERE w.runner = rb4j_runs.owner AND w.alive_until >= ?)))";

  private static final long NONE = Long.MIN_VALUE;

  private final Session s;
  private final String runner;
  private final Duration leaseTtl;
  private final RunnerProcess process = RunnerProcess.current();
  /**
   * Until when this runner's row says it is alive, as last committed (epoch millis, engine time),
   * and what the open transaction writes there ({@link #NONE} if nothing); guarded by the session lock.
   */
  private long aliveUntil = NONE;
  private long aliveWriting = NONE;
  /** When this runner first wrote its row (engine time), once known; guarded by the session lock. */
  private long since = NONE;

  JdbcLeases(Session s, String runner, Duration leaseTtl) {
    this.s = s;
    this.runner = runner;
    this.leaseTtl = leaseTtl;
    s.listen(this);
  }

  @Override
  public void committed() {
    if (aliveWriting != NONE) {
      aliveUntil = aliveWriting;
      aliveWriting = NONE;
    }
  }

  @Override
  public void rolledBack() {
    aliveWriting = NONE;
  }

  @Override
  public String runner() {
    return runner;
  }

  @Override
  public Duration leaseTtl() {
    return leaseTtl;
  }

  /**
   * Makes this runner alive for a lease from {@code now} in the open transaction, unless its row
   * says so for half a lease still: the transaction gives it runs, and a runner without a live row
   * loses them once their own lease (from when it took them) expires.
   */
  void keepAlive(Connection c, Instant now) throws SQLException {
    if (aliveWriting == NONE && aliveUntil < now.toEpochMilli() + leaseTtl.toMillis() / 2) {
      alive(c, now);
    }
  }

  private PreparedStatement alive;
  private int alivePreparedAt;

  /** Writes this runner's row: alive for a lease from {@code now}; in a transaction. */
  private void alive(Connection c, Instant now) throws SQLException {
    if (alive == null || s.stale(alivePreparedAt)) {
      Session.closeQuietly(alive);
      alivePreparedAt = s.generation();
      alive = c.prepareStatement("INSERT INTO rb4j_runners (runner, alive_until, host, pid, proc_start, since)"
          + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (runner) DO UPDATE SET alive_until = excluded.alive_until,"
          + " host = excluded.host, pid = excluded.pid, proc_start = excluded.proc_start,"
          + " since = COALESCE(rb4j_runners.since, excluded.since)");
    }
    long until = now.plus(leaseTtl).toEpochMilli();
    if (since == NONE) {
      since = now.toEpochMilli();
    }
    alive.setString(1, runner);
    alive.setLong(2, until);
    alive.setString(3, process.host());
    alive.setLong(4, process.pid());
    alive.setLong(5, process.start());
    alive.setLong(6, since);
    alive.executeUpdate();
    aliveWriting = until;
  }

  /**
   * Marks dead the runners of this host whose processes are gone (parameter {@code only}: that runner
   * alone, or null for every runner of this host), and frees their runs: they need not wait for a lease.
   */
  private void buryGone(Connection c, String only, Instant now) throws SQLException {
    List<String> gone = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement("SELECT runner, pid, proc_start FROM rb4j_runners WHERE host = ?"
        + " AND runner <> ? AND alive_until >= ?" + (only == null ? "" : " AND runner = ?"))) {
      q.setString(1, process.host());
      q.setString(2, runner);
      q.setLong(3, now.toEpochMilli());
      if (only != null) {
        q.setString(4, only);
      }
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          long pid = rs.getLong(2);
          Long pidOrNull = rs.wasNull() ? null : pid;
          long start = rs.getLong(3);
          Long startOrNull = rs.wasNull() ? null : start;
          if (RunnerProcess.goneHere(process.host(), pidOrNull, startOrNull)) {
            gone.add(rs.getString(1));
          }
        }
      }
    }
    for (String dead : gone) {
      try (PreparedStatement u = c.prepareStatement("UPDATE rb4j_runners SET alive_until = -1 WHERE runner = ?");
          PreparedStatement r = c.prepareStatement(
              "UPDATE rb4j_runs SET lease_until = -1 WHERE owner = ? AND finished = 0")) {
        u.setString(1, dead);
        u.executeUpdate();
        r.setString(1, dead);
        r.executeUpdate();
      }
    }
  }

  @Override
  public String claim(String runId, Instant now) {
    return s.transaction("claim run " + runId, c -> {
      String owner = owner(c, runId);
      if (owner != null && !owner.equals(runner)) {
        buryGone(c, owner, now);
      }
      try (PreparedStatement u = c.prepareStatement("UPDATE rb4j_runs SET owner = ?, lease_until = ? WHERE"
          + " run_id = ? AND finished = 0 AND " + CLAIMABLE)) {
        u.setString(1, runner);
        u.setLong(2, now.plus(leaseTtl).toEpochMilli());
        u.setString(3, runId);
        u.setString(4, runner);
        u.setLong(5, now.toEpochMilli());
        u.setLong(6, now.toEpochMilli());
        if (u.executeUpdate() == 1) {
          keepAlive(c, now);
          return null;
        }
      }
      return owner(c, runId);
    });
  }

  /** The owner named on the run's head row if it has not ended; null otherwise. */
  private String owner(Connection c, String runId) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT owner FROM rb4j_runs WHERE run_id = ? AND finished = 0"
        + (s.postgres() ? " FOR UPDATE" : ""))) {
      q.setString(1, runId);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** One row, whatever the number of runs this runner owns. */
  @Override
  public void extend(Instant now) {
    s.transaction("renew the lease of runner " + runner, c -> {
      alive(c, now);
      return null;
    });
  }

  @Override
  public Map<String, Long> renew(Instant now) {
    return s.transaction("renew the lease of runner " + runner, c -> {
      alive(c, now);
      Map<String, Long> owned = new LinkedHashMap<>();
      try (PreparedStatement q = c.prepareStatement(
          "SELECT run_id, last_seq FROM rb4j_runs WHERE owner = ? AND finished = 0")) {
        q.setString(1, runner);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            owned.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
      return owned;
    });
  }

  @Override
  public List<String> takeExpired(Set<String> runbooks, int max, Instant now) {
    if (runbooks.isEmpty() || max <= 0) {
      return List.of();
    }
    return s.transaction("take over expired runs", c -> {
      buryGone(c, null, now);
      // two lookups, each on its index: the released runs (no lease), and the runs of each runner no
      // longer alive (by owner: few runners) — never a read of the runs live runners hold (parked
      // runs: many; the "+" keeps the planner off the lease index, where they all are, and "+created"
      // off the index of creation times, which SQLite would walk through every run to skip the sort)
      String in = " AND runbook IN (" + String.join(", ", Collections.nCopies(runbooks.size(), "?"))
          + ") ORDER BY +created LIMIT ?" + (s.postgres() ? " FOR UPDATE SKIP LOCKED" : "");
      List<Map.Entry<Long, String>> found = new ArrayList<>();
      expired(c, "SELECT run_id, created FROM rb4j_runs WHERE finished = 0 AND lease_until IS NULL" + in,
          runbooks, max, found);
      expired(c, "SELECT run_id, created FROM rb4j_runs WHERE owner IN (SELECT runner FROM rb4j_runners WHERE"
          + " alive_until < ?) AND +finished = 0 AND +lease_until < ?" + in, runbooks, max, found,
          now.toEpochMilli(), now.toEpochMilli());
      List<String> ids = found.stream().sorted(Map.Entry.comparingByKey()).limit(max).map(Map.Entry::getValue)
          .toList();
      if (!ids.isEmpty()) {
        keepAlive(c, now);
      }
      try (PreparedStatement u = c.prepareStatement("UPDATE rb4j_runs SET owner = ?, lease_until = ? WHERE run_id = ?")) {
        for (String id : ids) {
          u.setString(1, runner);
          u.setLong(2, now.plus(leaseTtl).toEpochMilli());
          u.setString(3, id);
          u.executeUpdate();
        }
      }
      return ids;
    });
  }

  /** Adds the runs {@code sql} finds to {@code found}: when each was created, and its id. */
  private static void expired(Connection c, String sql, Set<String> runbooks, int max,
      List<Map.Entry<Long, String>> found, long... times) throws SQLException {
    try (PreparedStatement q = c.prepareStatement(sql)) {
      int i = 1;
      for (long t : times) {
        q.setLong(i++, t);
      }
      for (String name : runbooks) {
        q.setString(i++, name);
      }
      q.setInt(i, max);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          found.add(Map.entry(rs.getLong(2), rs.getString(1)));
        }
      }
    }
  }

  @Override
  public void release(String runId) {
    s.transaction("release run " + runId, c -> {
      try (PreparedStatement u = c.prepareStatement(
          "UPDATE rb4j_runs SET owner = NULL, lease_until = NULL WHERE run_id = ? AND owner = ?")) {
        u.setString(1, runId);
        u.setString(2, runner);
        return u.executeUpdate();
      }
    });
  }

  @Override
  public Optional<RunnerInfo> runnerInfo(String id) {
    return s.transaction("read runner " + id, c -> info(c, id));
  }

  private static Optional<RunnerInfo> info(Connection c, String id) throws SQLException {
    try (PreparedStatement q = c.prepareStatement(
        "SELECT alive_until, host, pid, since FROM rb4j_runners WHERE runner = ?")) {
      q.setString(1, id);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        long alive = rs.getLong(1);
        String host = rs.getString(2);
        long pid = rs.getLong(3);
        long since = rs.getLong(4);
        Instant sinceAt = rs.wasNull() ? null : Instant.ofEpochMilli(since);
        return Optional.of(new RunnerInfo(id, host, pid, sinceAt, Instant.ofEpochMilli(alive)));
      }
    }
  }

  @Override
  public Optional<RunnerInfo> driver(String runId, Instant now) {
    return s.transaction("read the driver of run " + runId, c -> {
      String owner = owner(c, runId);
      if (owner == null) {
        return Optional.<RunnerInfo>empty();
      }
      if (!owner.equals(runner)) {
        buryGone(c, owner, now);
      }
      try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM rb4j_runs WHERE run_id = ? AND finished = 0 AND"
          + " owner = ? AND NOT (lease_until < ? AND NOT EXISTS (SELECT 1 FROM rb4j_runners w WHERE"
          + " w.runner = rb4j_runs.owner AND w.alive_until >= ?))")) {
        q.setString(1, runId);
        q.setString(2, owner);
        q.setLong(3, now.toEpochMilli());
        q.setLong(4, now.toEpochMilli());
        try (ResultSet rs = q.executeQuery()) {
          if (!rs.next()) {
            return Optional.<RunnerInfo>empty();  // orphaned: its runner's lease lapsed, or its process is gone
          }
        }
      }
      return Optional.of(info(c, owner).orElse(new RunnerInfo(owner, "", 0, null, null)));
    });
  }

  /**
   * This runner stops (its journal closes): it gives up its claims on the runs it has not ended and
   * says it is no longer alive, so that another runner resumes them at once instead of after a lease.
   */
  void stop() {
    s.transaction("stop runner " + runner, c -> {
      try (PreparedStatement u = c.prepareStatement(
          "UPDATE rb4j_runs SET owner = NULL, lease_until = NULL WHERE owner = ? AND finished = 0");
          PreparedStatement d = c.prepareStatement("UPDATE rb4j_runners SET alive_until = -1 WHERE runner = ?")) {
        u.setString(1, runner);
        u.executeUpdate();
        d.setString(1, runner);
        d.executeUpdate();
      }
      return null;
    });
    aliveUntil = NONE;
  }

  @Override
  public String toString() {
    return "RunLeases[" + runner + ", " + leaseTtl + "]";
  }
}
