package dev.runbook4j.journal.jdbc;

import dev.runbook4j.JournalException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The journal's tables, created on first use and upgraded in place.
 *
 * <table>
 *   <caption>Schema versions</caption>
 *   <tr><th>Version</th><th>Adds</th></tr>
 *   <tr><td>1</td><td>runs (the head of each hash chain) and events</td></tr>
 *   <tr><td>2</td><td>each run's runbook, owner, lease and end on its head row; the lock tables</td></tr>
 *   <tr><td>3</td><td>the runners and until when each is alive: a run's lease is its runner's</td></tr>
 *   <tr><td>4</td><td>each runner's host, process id, process start and since when it runs: a runner on the
 *   same host whose process is gone is known dead at once</td></tr>
 *   <tr><td>5</td><td>the journal's facts ({@code rb4j_meta}): how its events are chained (SHA-256, or HMAC-SHA256
 *   under a key, named by its id); each head row's MAC (keyed journals)</td></tr>
 * </table>
 *
 * <p>A journal written by a newer schema is refused, naming both versions.
 */
final class Schema {
  /** The schema version this code writes and reads. */
  static final int VERSION = 5;

  private Schema() {}

  /**
   * Creates or upgrades the tables, and returns how this journal chains its events: as recorded
   * when it was created, checked against {@code key} (null: none given).
   */
  static HashChain migrate(Session s, byte[] key) throws SQLException {
    s.begin();
    try (Statement st = s.connection.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_schema (version INTEGER NOT NULL)");
      Integer version = null;
      try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM rb4j_schema")) {
        if (rs.next()) {
          int v = rs.getInt(1);
          version = rs.wasNull() ? null : v;
        }
      }
      if (version != null && version > VERSION) {
        s.rollbackQuietly();
        throw new JournalException(s.where() + " has schema version " + version
            + ", written by a newer Runbook4j; this Runbook4j reads schema version " + VERSION
            + ". Upgrade Runbook4j to use this journal", null);
      }
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_runs (run_id VARCHAR(200) PRIMARY KEY, created BIGINT NOT NULL,"
          + " last_seq BIGINT NOT NULL, last_hash VARCHAR(64) NOT NULL, runbook VARCHAR(200), owner VARCHAR(200),"
          + " lease_until BIGINT, finished SMALLINT NOT NULL DEFAULT 0, head_mac VARCHAR(64))");
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_runners (runner VARCHAR(200) PRIMARY KEY,"
          + " alive_until BIGINT NOT NULL, host VARCHAR(255), pid BIGINT, proc_start BIGINT, since BIGINT)");
      if (version != null && version == 1) {
        for (String column : List.of("runbook VARCHAR(200)", "owner VARCHAR(200)", "lease_until BIGINT",
            "finished SMALLINT NOT NULL DEFAULT 0")) {
          st.execute("ALTER TABLE rb4j_runs ADD COLUMN " + column);
        }
        // runs of a version-1 journal: finished when their last event says so
        st.execute("UPDATE rb4j_runs SET finished = 1 WHERE EXISTS (SELECT 1 FROM rb4j_events e WHERE"
            + " e.run_id = rb4j_runs.run_id AND e.seq = rb4j_runs.last_seq AND e.type = 'RunFinished')");
      }
      if (version != null && version < 3) {
        // the owners of a version-2 journal, alive as long as their runs' leases say
        st.execute("INSERT INTO rb4j_runners (runner, alive_until) SELECT owner, MAX(lease_until) FROM rb4j_runs"
            + " WHERE owner IS NOT NULL AND finished = 0 AND lease_until IS NOT NULL GROUP BY owner"
            + " ON CONFLICT (runner) DO NOTHING");
      } else if (version != null && version == 3) {
        // version-3 runners carry no host or process: they stay alive as long as their rows say
        for (String column : List.of("host VARCHAR(255)", "pid BIGINT", "proc_start BIGINT", "since BIGINT")) {
          st.execute("ALTER TABLE rb4j_runners ADD COLUMN " + column);
        }
      }
      if (version != null && version < 5 && !hasColumn(s, "rb4j_runs", "head_mac")) {
        st.execute("ALTER TABLE rb4j_runs ADD COLUMN head_mac VARCHAR(64)");
      }
      if (version != null && version < VERSION) {
        st.execute("UPDATE rb4j_schema SET version = " + VERSION);
      }
      st.execute("CREATE INDEX IF NOT EXISTS rb4j_runs_created ON rb4j_runs (created)");
      st.execute("CREATE INDEX IF NOT EXISTS rb4j_runs_owner ON rb4j_runs (owner)");
      st.execute("CREATE INDEX IF NOT EXISTS rb4j_runs_lease ON rb4j_runs (finished, lease_until)");
      st.execute("CREATE INDEX IF NOT EXISTS rb4j_runners_host ON rb4j_runners (host)");
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_events (run_id VARCHAR(200) NOT NULL, seq BIGINT NOT NULL,"
          + " type VARCHAR(64) NOT NULL, at VARCHAR(40) NOT NULL, body TEXT NOT NULL, hash VARCHAR(64) NOT NULL,"
          + " PRIMARY KEY (run_id, seq))");
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_locks (lock_key VARCHAR(400) PRIMARY KEY, holder VARCHAR(200),"
          + " token BIGINT NOT NULL, since BIGINT)");
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_lock_queue (lock_key VARCHAR(400) NOT NULL, run_id VARCHAR(200)"
          + " NOT NULL, seq BIGINT NOT NULL, superseded_by VARCHAR(200), PRIMARY KEY (lock_key, run_id))");
      // parked runs: when to wake each (added in place to journals of any version: nothing else reads it)
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_parked (run_id VARCHAR(200) PRIMARY KEY, engine VARCHAR(64) NOT NULL,"
          + " wake_at BIGINT, approval SMALLINT NOT NULL, events BIGINT NOT NULL, slot INTEGER NOT NULL)");
      st.execute("CREATE INDEX IF NOT EXISTS rb4j_parked_due ON rb4j_parked (engine, wake_at)");
      if (version == null) {
        st.execute("INSERT INTO rb4j_schema (version) VALUES (" + VERSION + ")");
      }
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_meta (name VARCHAR(64) PRIMARY KEY, value VARCHAR(400) NOT NULL)");
      HashChain chain = chain(s, st, key);
      s.commit();
      return chain;
    } catch (SQLException | RuntimeException e) {
      s.rollbackQuietly();
      throw e;
    }
  }

  /**
   * How the journal chains its events, recorded once: a new journal is keyed when it is created
   * with a key; one that holds events from before this schema is not. A key does not change a
   * journal afterwards (its runs' chains would not verify under it).
   */
  private static HashChain chain(Session s, Statement st, byte[] key) throws SQLException {
    HashChain given = key == null ? HashChain.unkeyed() : HashChain.keyed(key);
    String recorded = meta(st);
    if (recorded == null) {
      boolean fresh;
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM (SELECT 1 FROM rb4j_events LIMIT 1) e")) {
        fresh = rs.next() && rs.getLong(1) == 0;
      }
      String mode = fresh && given.keyed() ? "hmac-sha256:" + given.keyId() : "sha256";
      st.execute("INSERT INTO rb4j_meta (name, value) VALUES ('chain', '" + mode + "') ON CONFLICT (name) DO NOTHING");
      recorded = meta(st);
    }
    if (recorded.equals("sha256")) {
      if (given.keyed()) {
        throw new JournalException(s.where() + " was created without a key: its events are chained with SHA-256,"
            + " and a key cannot be added to them. Open it without the key, or start a new journal with the key"
            + " (its chains are then HMACs that nobody without the key can forge)", null);
      }
      return given;
    }
    if (!recorded.startsWith("hmac-sha256:")) {
      throw new JournalException(s.where() + " chains its events as '" + recorded + "', which this Runbook4j does not"
          + " know; upgrade Runbook4j to use this journal", null);
    }
    String keyId = recorded.substring("hmac-sha256:".length());
    if (!given.keyed()) {
      return HashChain.withoutKey(keyId);
    }
    if (!given.keyId().equals(keyId)) {
      throw new JournalException(s.where() + " is keyed with key " + keyId + "; the key given is key " + given.keyId()
          + ", not this journal's key", null);
    }
    return given;
  }

  private static boolean hasColumn(Session s, String table, String column) throws SQLException {
    try (ResultSet rs = s.connection.getMetaData().getColumns(null, null, table, column)) {
      return rs.next();
    }
  }

  private static String meta(Statement st) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT value FROM rb4j_meta WHERE name = 'chain'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
