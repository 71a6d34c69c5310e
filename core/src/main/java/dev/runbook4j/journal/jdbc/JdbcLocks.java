package dev.runbook4j.journal.jdbc;

import dev.runbook4j.LockPolicy;
import dev.runbook4j.LockUnavailableException;
import dev.runbook4j.spi.LockManager;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Locks in the journal's database, shared by every runner on it. A lock row names the run that
 * holds the key and the key's fencing token, which grows with every grant; a queue row per waiting
 * run keeps FIFO order across processes. A release hands the key to the first waiting run in the
 * same transaction; a waiter in this process hears of it at once, one in another process on its
 * engine's next heartbeat ({@link #poll}).
 */
final class JdbcLocks implements LockManager {
  private record Waiting(String key, String runId, Waiter waiter) {}

  private final Session journal;
  /** This process's waiting runs, by key and run. */
  private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

  JdbcLocks(Session journal) {
    this.journal = journal;
  }

  private static String id(String key, String runId) {
    return key + '\u0000' + runId;
  }

  /** The holder and token of {@code key}, locking its row; creates the row on first use. */
  private Object[] head(Connection c, String key) throws SQLException {
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO rb4j_locks (lock_key, holder, token, since) VALUES (?, NULL, 0, NULL) ON CONFLICT (lock_key) DO NOTHING")) {
      ins.setString(1, key);
      ins.executeUpdate();
    }
    try (PreparedStatement q = c.prepareStatement("SELECT holder, token FROM rb4j_locks WHERE lock_key = ?"
        + (journal.postgres() ? " FOR UPDATE" : ""))) {
      q.setString(1, key);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return new Object[] {rs.getString(1), rs.getLong(2)};
      }
    }
  }

  private static long grant(Connection c, String key, String runId, long token) throws SQLException {
    try (PreparedStatement u = c.prepareStatement(
        "UPDATE rb4j_locks SET holder = ?, token = ?, since = ? WHERE lock_key = ?")) {
      u.setString(1, runId);
      u.setLong(2, token + 1);
      u.setLong(3, System.currentTimeMillis());  // for operators reading the table: wall time, not the engine clock
      u.setString(4, key);
      u.executeUpdate();
    }
    try (PreparedStatement d = c.prepareStatement("DELETE FROM rb4j_lock_queue WHERE lock_key = ? AND run_id = ?")) {
      d.setString(1, key);
      d.setString(2, runId);
      d.executeUpdate();
    }
    return token + 1;
  }

  @Override
  public long acquire(String key, String runId, String runbook, LockPolicy policy, Waiter waiter) {
    List<Waiting> superseded = new ArrayList<>();
    long token = journal.transaction("take lock '" + key + "' for run " + runId, c -> {
      Object[] head = head(c, key);
      String holder = (String) head[0];
      long current = (Long) head[1];
      if (holder == null || holder.equals(runId)) {
        return grant(c, key, runId, current);
      }
      if (policy == LockPolicy.FAIL_FAST) {
        throw new LockUnavailableException(runbook, runId, key, holder);
      }
      try (PreparedStatement ins = c.prepareStatement("INSERT INTO rb4j_lock_queue (lock_key, run_id, seq,"
          + " superseded_by) SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, NULL FROM rb4j_lock_queue WHERE lock_key = ?"
          + " ON CONFLICT (lock_key, run_id) DO NOTHING")) {
        ins.setString(1, key);
        ins.setString(2, runId);
        ins.setString(3, key);
        ins.executeUpdate();
      }
      if (policy == LockPolicy.LATEST_WINS) {
        List<String> older = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT run_id FROM rb4j_lock_queue WHERE lock_key = ? AND"
            + " run_id <> ? AND superseded_by IS NULL")) {
          q.setString(1, key);
          q.setString(2, runId);
          try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
              older.add(rs.getString(1));
            }
          }
        }
        try (PreparedStatement u = c.prepareStatement("UPDATE rb4j_lock_queue SET superseded_by = ? WHERE"
            + " lock_key = ? AND run_id <> ? AND superseded_by IS NULL")) {
          u.setString(1, runId);
          u.setString(2, key);
          u.setString(3, runId);
          u.executeUpdate();
        }
        for (String o : older) {
          Waiting w = waiting.remove(id(key, o));
          if (w != null) {
            superseded.add(w);
          }
        }
      }
      // registered before the commit (under the journal's lock), so a release in this process finds it
      waiting.put(id(key, runId), new Waiting(key, runId, waiter));
      return 0L;
    });
    for (Waiting w : superseded) {
      w.waiter().superseded(runId);
    }
    return token;
  }

  @Override
  public void release(String key, String runId) {
    handOn(key, runId, false);
  }

  @Override
  public String forceRelease(String key) {
    return handOn(key, null, true);
  }

  /** Releases {@code key} (held by {@code runId}, or by anyone when forced) and grants the next waiter. */
  private String handOn(String key, String runId, boolean force) {
    Object[] out = new Object[3];
    journal.transaction("release lock '" + key + "'", c -> {
      Object[] head = head(c, key);
      String holder = (String) head[0];
      long token = (Long) head[1];
      out[0] = holder;
      if (holder != null && (force || holder.equals(runId))) {
        String next = null;
        try (PreparedStatement q = c.prepareStatement("SELECT run_id FROM rb4j_lock_queue WHERE lock_key = ? AND"
            + " superseded_by IS NULL ORDER BY seq LIMIT 1")) {
          q.setString(1, key);
          try (ResultSet rs = q.executeQuery()) {
            if (rs.next()) {
              next = rs.getString(1);
            }
          }
        }
        if (next == null) {
          try (PreparedStatement u = c.prepareStatement(
              "UPDATE rb4j_locks SET holder = NULL, since = NULL WHERE lock_key = ?")) {
            u.setString(1, key);
            u.executeUpdate();
          }
        } else {
          out[1] = next;
          out[2] = grant(c, key, next, token);
        }
      } else if (runId != null) {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM rb4j_lock_queue WHERE lock_key = ? AND run_id = ?")) {
          d.setString(1, key);
          d.setString(2, runId);
          d.executeUpdate();
        }
        waiting.remove(id(key, runId));
      }
      return null;
    });
    if (out[1] != null) {
      Waiting w = waiting.remove(id(key, (String) out[1]));
      if (w != null) {
        w.waiter().granted((Long) out[2]);
      }
    }
    return (String) out[0];
  }

  @Override
  public String holder(String key) {
    return journal.transaction("read lock '" + key + "'", c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT holder FROM rb4j_locks WHERE lock_key = ?")) {
        q.setString(1, key);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
  }

  @Override
  public List<dev.runbook4j.LockInfo> list() {
    return journal.transaction("list the locks", c -> {
      Map<String, List<String>> queued = new java.util.HashMap<>();
      try (PreparedStatement q = c.prepareStatement("SELECT lock_key, run_id FROM rb4j_lock_queue WHERE"
          + " superseded_by IS NULL ORDER BY lock_key, seq");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          queued.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
        }
      }
      List<dev.runbook4j.LockInfo> out = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement("SELECT lock_key, holder, token, since FROM rb4j_locks"
          + " ORDER BY lock_key");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          String key = rs.getString(1);
          String holder = rs.getString(2);
          long token = rs.getLong(3);
          long since = rs.getLong(4);
          java.util.Optional<java.time.Instant> sinceAt = rs.wasNull() || holder == null ? java.util.Optional.empty()
              : java.util.Optional.of(java.time.Instant.ofEpochMilli(since));
          List<String> waiting = queued.getOrDefault(key, List.of());
          if (holder != null || !waiting.isEmpty()) {
            out.add(new dev.runbook4j.LockInfo(key, java.util.Optional.ofNullable(holder), token, sinceAt, waiting));
          }
        }
      }
      return out;
    });
  }

  @Override
  public boolean holds(String key, String runId, long token) {
    return journal.transaction("check lock '" + key + "'", c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT holder, token FROM rb4j_locks WHERE lock_key = ?")) {
        q.setString(1, key);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() && runId.equals(rs.getString(1)) && rs.getLong(2) == token;
        }
      }
    });
  }

  /** Delivers grants and supersessions made by other processes to the waiters of this one. */
  @Override
  public void poll() {
    if (waiting.isEmpty()) {
      return;
    }
    List<Runnable> calls = new ArrayList<>();
    journal.transaction("poll locks", c -> {
      try (PreparedStatement held = c.prepareStatement("SELECT holder, token FROM rb4j_locks WHERE lock_key = ?");
          PreparedStatement queued = c.prepareStatement(
              "SELECT superseded_by FROM rb4j_lock_queue WHERE lock_key = ? AND run_id = ?")) {
        for (Waiting w : List.copyOf(waiting.values())) {
          held.setString(1, w.key());
          try (ResultSet rs = held.executeQuery()) {
            if (rs.next() && w.runId().equals(rs.getString(1))) {
              long token = rs.getLong(2);
              if (waiting.remove(id(w.key(), w.runId())) != null) {
                calls.add(() -> w.waiter().granted(token));
              }
              continue;
            }
          }
          queued.setString(1, w.key());
          queued.setString(2, w.runId());
          try (ResultSet rs = queued.executeQuery()) {
            String by = rs.next() ? rs.getString(1) : null;
            if (by != null && waiting.remove(id(w.key(), w.runId())) != null) {
              calls.add(() -> w.waiter().superseded(by));
            }
          }
        }
      }
      return null;
    });
    calls.forEach(Runnable::run);
  }

  @Override
  public String toString() {
    return "JdbcLocks[" + journal + "]";
  }
}
