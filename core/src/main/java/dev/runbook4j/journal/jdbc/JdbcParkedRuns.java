package dev.runbook4j.journal.jdbc;

import dev.runbook4j.spi.ParkedRuns;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Parked runs in {@code rb4j_parked}: one row per parked run, wake-up times in epoch nanoseconds. */
final class JdbcParkedRuns implements ParkedRuns {
  private static final String COLUMNS = "run_id, engine, wake_at, approval, events, slot";

  private final Session s;
  private final JdbcLeases leases;

  JdbcParkedRuns(Session s, JdbcLeases leases) {
    this.s = s;
    this.leases = leases;
  }

  @Override
  public void park(String engine, String runId, Instant wakeAt, boolean approval, long events, int slot) {
    s.transaction("park run " + runId, c -> {
      try (PreparedStatement d = c.prepareStatement("DELETE FROM rb4j_parked WHERE run_id = ?");
          PreparedStatement i = c.prepareStatement("INSERT INTO rb4j_parked (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
        d.setString(1, runId);
        d.executeUpdate();
        i.setString(1, runId);
        i.setString(2, engine);
        if (wakeAt == null) {
          i.setNull(3, Types.BIGINT);
        } else {
          i.setLong(3, nanos(wakeAt));
        }
        i.setInt(4, approval ? 1 : 0);
        i.setLong(5, events);
        i.setInt(6, slot);
        return i.executeUpdate();
      }
    });
  }

  @Override
  public boolean take(String runId) {
    return s.transaction("take parked run " + runId, c -> {
      try (PreparedStatement d = c.prepareStatement("DELETE FROM rb4j_parked WHERE run_id = ?")) {
        d.setString(1, runId);
        return d.executeUpdate() == 1;
      }
    });
  }

  @Override
  public Optional<Parked> find(String runId) {
    return s.transaction("find parked run " + runId, c -> rows(c, "SELECT " + COLUMNS + " FROM rb4j_parked WHERE"
        + " run_id = ?", runId)).stream().findFirst();
  }

  @Override
  public List<Parked> takeDue(String engine, Instant now, int max) {
    return s.transaction("take the due parked runs", c -> {
      List<Parked> due = rows(c, "SELECT " + COLUMNS + " FROM rb4j_parked WHERE engine = ? AND wake_at <= ?"
          + " ORDER BY wake_at LIMIT " + Math.max(1, max) + (s.postgres() ? " FOR UPDATE SKIP LOCKED" : ""), engine,
          nanos(now));
      try (PreparedStatement d = c.prepareStatement("DELETE FROM rb4j_parked WHERE run_id = ?")) {
        for (Parked p : due) {
          d.setString(1, p.runId());
          d.addBatch();
        }
        if (!due.isEmpty()) {
          d.executeBatch();
        }
      }
      return due;
    });
  }

  @Override
  public Optional<Instant> next(String engine) {
    return s.transaction("read the next parked run's time", c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT MIN(wake_at) FROM rb4j_parked WHERE engine = ?")) {
        q.setString(1, engine);
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            long at = rs.getLong(1);
            return rs.wasNull() ? Optional.<Instant>empty() : Optional.of(instant(at));
          }
          return Optional.<Instant>empty();
        }
      }
    });
  }

  @Override
  public int count(String engine) {
    return s.transaction("count the parked runs", c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM rb4j_parked WHERE engine = ?")) {
        q.setString(1, engine);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? rs.getInt(1) : 0;
        }
      }
    });
  }

  @Override
  public Set<String> runbooksParkedElsewhere(String engine) {
    return s.transaction("read the runbooks of runs parked elsewhere", c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT DISTINCT r.runbook FROM rb4j_parked p JOIN rb4j_runs r ON"
          + " r.run_id = p.run_id WHERE p.engine <> ? AND r.finished = 0")) {
        q.setString(1, engine);
        Set<String> names = new TreeSet<>();
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            if (rs.getString(1) != null) {
              names.add(rs.getString(1));
            }
          }
        }
        return names;
      }
    });
  }

  @Override
  public List<Parked> adopt(String engine, String runbook, int slot, Instant now) {
    String runner = leases.runner();
    return s.transaction("adopt the parked runs of runbook " + runbook, c -> {
      try (PreparedStatement claim = c.prepareStatement("UPDATE rb4j_runs SET owner = ?, lease_until = ? WHERE"
          + " finished = 0 AND runbook = ? AND " + JdbcLeases.CLAIMABLE + " AND run_id IN"
          + " (SELECT run_id FROM rb4j_parked WHERE engine <> ?)");
          PreparedStatement move = c.prepareStatement("UPDATE rb4j_parked SET engine = ?, slot = ? WHERE engine <> ?"
              + " AND run_id IN (SELECT run_id FROM rb4j_runs WHERE runbook = ? AND owner = ? AND finished = 0)")) {
        claim.setString(1, runner);
        claim.setLong(2, now.plus(leases.leaseTtl()).toEpochMilli());
        claim.setString(3, runbook);
        claim.setString(4, runner);
        claim.setLong(5, now.toEpochMilli());
        claim.setLong(6, now.toEpochMilli());
        claim.setString(7, engine);
        if (claim.executeUpdate() > 0) {
          leases.keepAlive(c, now);
        }
        List<Parked> taken = rows(c, "SELECT p.run_id, p.engine, p.wake_at, p.approval, p.events, p.slot FROM"
            + " rb4j_parked p JOIN rb4j_runs r ON r.run_id = p.run_id WHERE p.engine <> ? AND r.runbook = ? AND"
            + " r.owner = ? AND r.finished = 0", engine, runbook, runner);
        move.setString(1, engine);
        move.setInt(2, slot);
        move.setString(3, engine);
        move.setString(4, runbook);
        move.setString(5, runner);
        move.executeUpdate();
        return taken.stream().map(p -> new Parked(p.runId(), engine, p.wakeAt(), p.approval(), p.events(), slot))
            .toList();
      }
    });
  }

  @Override
  public void nudge(String runId, Instant now) {
    s.transaction("wake parked run " + runId, c -> {
      try (PreparedStatement u = c.prepareStatement("UPDATE rb4j_parked SET wake_at = ? WHERE run_id = ? AND"
          + " (wake_at IS NULL OR wake_at > ?)")) {
        u.setLong(1, nanos(now));
        u.setString(2, runId);
        u.setLong(3, nanos(now));
        return u.executeUpdate();
      }
    });
  }

  private static List<Parked> rows(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement q = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        q.setObject(i + 1, args[i]);
      }
      List<Parked> rows = new ArrayList<>();
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          long at = rs.getLong(3);
          Instant wakeAt = rs.wasNull() ? null : instant(at);
          rows.add(new Parked(rs.getString(1), rs.getString(2), wakeAt, rs.getInt(4) == 1, rs.getLong(5), rs.getInt(6)));
        }
      }
      return rows;
    }
  }

  static long nanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

  static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }
}
