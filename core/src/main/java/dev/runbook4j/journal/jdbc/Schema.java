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
 * </table>
 *
 * <p>A journal written by a newer schema is refused, naming both versions.
 */
final class Schema {
  /** The schema version this code writes and reads. */
  static final int VERSION = 4;

  private Schema() {}

  static void migrate(Session s) throws SQLException {
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
          + " lease_until BIGINT, finished SMALLINT NOT NULL DEFAULT 0)");
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
      s.commit();
    } catch (SQLException | RuntimeException e) {
      s.rollbackQuietly();
      throw e;
    }
  }
}
