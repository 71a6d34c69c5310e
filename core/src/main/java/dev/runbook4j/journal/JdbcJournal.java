package dev.runbook4j.journal;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.RunLeases;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.apiguardian.api.API;

/**
 * A durable journal in a SQL database: SQLite (one file, the embedded default) or PostgreSQL (the
 * journal that several runner processes share). Each event is stored as JSON and hash-chained to
 * the previous event of its run, so that {@link #verify(String)} finds the first event of a run
 * that was edited, reordered, deleted or cut off.
 *
 * <pre>{@code
 * try (JdbcJournal journal = JdbcJournal.sqlite(Path.of(".runbook4j/journal.db"))) {
 *   RunbookEngine engine = RunbookEngine.builder().journal(journal).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>The schema is created on first use and carries a version; a journal written by a newer schema
 * is refused, naming both versions. An event is committed (and, on SQLite, the write-ahead log
 * synced) before {@link #append} returns. The JDBC driver is the application's to bring:
 * {@code org.xerial:sqlite-jdbc} or {@code org.postgresql:postgresql}.
 *
 * <p>Several runners may share one journal ({@link #builder(String)}: each with its own
 * {@code runner} id and lease). The journal then offers the engine {@link #leases()} (who runs which
 * run; an event of a run from a runner that does not own it is refused with a
 * {@link dev.runbook4j.LeaseLostException}) and {@link #lockManager()} (durable locks with fencing
 * tokens, shared by every runner).
 *
 * <p>This class is threadsafe; appends from one instance are serialised and group-committed.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class JdbcJournal implements Journal, AutoCloseable {
  /** The SQL dialects this journal speaks. */
  public enum Dialect { SQLITE, POSTGRESQL }

  /** The schema version this code writes and reads. */
  public static final int SCHEMA_VERSION = 3;

  /** The lease a runner holds on its runs when none is given. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

  static final String GENESIS = "0".repeat(64);

  private final String url;
  private final Dialect dialect;
  final Connection connection;
  final ReentrantLock lock = new ReentrantLock();
  /** Whether a SQLite write transaction is open; guarded by {@link #lock}. */
  private boolean inTransaction;
  private final String runner;
  private final Duration leaseTtl;
  private final JdbcLocks locks;
  private final Leases leases = new Leases();
  /**
   * Until when this runner's row in {@code rb4j_runners} says it is alive, as last committed (epoch
   * millis, engine time), and what the open transaction writes there ({@link #NONE} if nothing);
   * guarded by {@link #lock}.
   */
  private long aliveUntil = Long.MIN_VALUE;
  private long aliveWriting = NONE;
  private static final long NONE = Long.MIN_VALUE;

  private JdbcJournal(String url, Properties properties, String runner, Duration leaseTtl) {
    this.url = url;
    this.dialect = dialectOf(url);
    this.runner = runner != null ? runner : defaultRunner();
    this.leaseTtl = leaseTtl != null ? leaseTtl : DEFAULT_LEASE;
    if (this.leaseTtl.isNegative() || this.leaseTtl.isZero()) {
      throw new IllegalArgumentException("leaseTtl must be positive: " + leaseTtl);
    }
    this.locks = new JdbcLocks(this);
    Properties props = new Properties();
    props.putAll(properties);
    if (dialect == Dialect.SQLITE) {
      props.setProperty("journal_mode", "WAL");
      props.putIfAbsent("synchronous", "FULL");   // fsync on every commit, unless the caller chose otherwise
      props.setProperty("busy_timeout", "10000");
    } else if (!props.containsKey("reWriteBatchedInserts")) {
      // a batch of events goes to the server as multi-row inserts: one statement per group commit
      props.setProperty("reWriteBatchedInserts", "true");
    }
    try {
      this.connection = DriverManager.getConnection(url, props);
      // SQLite: autocommit, with explicit BEGIN IMMEDIATE for writes, so no lock is held between calls
      // (another process may use the same file); PostgreSQL: JDBC transactions
      this.connection.setAutoCommit(dialect == Dialect.SQLITE);
      migrate();
    } catch (SQLException e) {
      throw new JournalException("Journal " + redact(url) + " cannot be opened: " + e.getMessage()
          + (e.getMessage() != null && e.getMessage().contains("No suitable driver")
              ? "; add the JDBC driver (org.xerial:sqlite-jdbc or org.postgresql:postgresql) to the class path" : ""),
          e);
    }
  }

  /** Opens (and creates if needed) the SQLite journal in {@code file}, creating its folder. */
  public static JdbcJournal sqlite(Path file) {
    Objects.requireNonNull(file, "file");
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new JournalException("Journal folder for " + file + " cannot be created: " + e.getMessage(), e);
    }
    return new JdbcJournal("jdbc:sqlite:" + file.toAbsolutePath(), new Properties(), null, null);
  }

  /** Opens the journal at {@code jdbcUrl} ({@code jdbc:sqlite:...} or {@code jdbc:postgresql:...}). */
  public static JdbcJournal open(String jdbcUrl) {
    return builder(jdbcUrl).build();
  }

  /** Opens the journal at {@code jdbcUrl} with a user and password. */
  public static JdbcJournal open(String jdbcUrl, String user, String password) {
    return builder(jdbcUrl).credentials(user, password).build();
  }

  /**
   * Starts the options of a journal at {@code jdbcUrl}: credentials, and, when several runners
   * share the journal, this runner's id and lease.
   */
  public static Builder builder(String jdbcUrl) {
    return new Builder(Objects.requireNonNull(jdbcUrl, "jdbcUrl"));
  }

  /** Options of a {@link JdbcJournal}. */
  public static final class Builder {
    private final String url;
    private final Properties properties = new Properties();
    private String runner;
    private Duration leaseTtl;

    private Builder(String url) {
      this.url = url;
    }

    /** The database user and password. */
    public Builder credentials(String user, String password) {
      properties.setProperty("user", Objects.requireNonNull(user, "user"));
      properties.setProperty("password", Objects.requireNonNull(password, "password"));
      return this;
    }

    /**
     * A JDBC driver property. On SQLite, {@code synchronous} defaults to {@code FULL} (an fsync on
     * every commit: a journaled event survives a power loss); {@code NORMAL} keeps the file consistent
     * but may lose the last commits on power loss, for speed.
     */
    public Builder property(String name, String value) {
      properties.setProperty(name, value);
      return this;
    }

    /**
     * This runner's id, unique among the live runners that share the journal and the same across
     * restarts of one runner (so a restarted runner picks its own runs up at once); default: the
     * host name.
     */
    public Builder runner(String runner) {
      if (Objects.requireNonNull(runner, "runner").isBlank() || runner.length() > 200) {
        throw new IllegalArgumentException("runner id must be 1 to 200 characters: '" + runner + "'");
      }
      this.runner = runner;
      return this;
    }

    /**
     * How long this runner's claim on a run lasts without a heartbeat (default 30 s): after it, another
     * runner takes the run over. The engine renews it every third of the lease.
     */
    public Builder leaseTtl(Duration leaseTtl) {
      this.leaseTtl = Objects.requireNonNull(leaseTtl, "leaseTtl");
      return this;
    }

    /** Opens the journal, creating or upgrading its schema. */
    public JdbcJournal build() {
      return new JdbcJournal(url, properties, runner, leaseTtl);
    }
  }

  private static String defaultRunner() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException | RuntimeException e) {
      return "runner";
    }
  }

  /** This runner's id, written as the owner of the runs it runs. */
  public String runner() {
    return runner;
  }

  private static Dialect dialectOf(String url) {
    String u = url.toLowerCase(Locale.ROOT);
    if (u.startsWith("jdbc:sqlite:")) {
      return Dialect.SQLITE;
    }
    if (u.startsWith("jdbc:postgresql:")) {
      return Dialect.POSTGRESQL;
    }
    throw new JournalException("Journal URL '" + redact(url) + "' names no supported database; use jdbc:sqlite:FILE"
        + " or jdbc:postgresql://HOST/DB", null);
  }

  private static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }

  public Dialect dialect() {
    return dialect;
  }

  /**
   * Creates the schema, or upgrades an older one in place. Version 1: runs (the head of each
   * chain) and events. Version 2 adds each run's runbook, owner, lease and end to its head row, and
   * the lock tables. Version 3 adds the runners and until when each is alive: a run's lease is its
   * runner's (one row renewed per heartbeat, whatever the number of runs), and runners of version 2
   * would not see it, so they are refused.
   */
  private void migrate() throws SQLException {
    begin();
    try (Statement st = connection.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_schema (version INTEGER NOT NULL)");
      Integer version = null;
      try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM rb4j_schema")) {
        if (rs.next()) {
          int v = rs.getInt(1);
          version = rs.wasNull() ? null : v;
        }
      }
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_runs (run_id VARCHAR(200) PRIMARY KEY, created BIGINT NOT NULL,"
          + " last_seq BIGINT NOT NULL, last_hash VARCHAR(64) NOT NULL, runbook VARCHAR(200), owner VARCHAR(200),"
          + " lease_until BIGINT, finished SMALLINT NOT NULL DEFAULT 0)");
      st.execute("CREATE TABLE IF NOT EXISTS rb4j_runners (runner VARCHAR(200) PRIMARY KEY,"
          + " alive_until BIGINT NOT NULL)");
      if (version != null && version == 1) {
        for (String column : List.of("runbook VARCHAR(200)", "owner VARCHAR(200)", "lease_until BIGINT",
            "finished SMALLINT NOT NULL DEFAULT 0")) {
          st.execute("ALTER TABLE rb4j_runs ADD COLUMN " + column);
        }
        // runs of a version-1 journal: finished when their last event says so
        st.execute("UPDATE rb4j_runs SET finished = 1 WHERE EXISTS (SELECT 1 FROM rb4j_events e WHERE"
            + " e.run_id = rb4j_runs.run_id AND e.seq = rb4j_runs.last_seq AND e.type = 'RunFinished')");
      }
      if (version != null && version < SCHEMA_VERSION) {
        // the owners of a version-2 journal, alive as long as their runs' leases say
        st.execute("INSERT INTO rb4j_runners (runner, alive_until) SELECT owner, MAX(lease_until) FROM rb4j_runs"
            + " WHERE owner IS NOT NULL AND finished = 0 AND lease_until IS NOT NULL GROUP BY owner"
            + " ON CONFLICT (runner) DO NOTHING");
        st.execute("UPDATE rb4j_schema SET version = " + SCHEMA_VERSION);
      }
      st.execute("CREATE INDEX IF NOT EXISTS rb4j_runs_created ON rb4j_runs (created)");
      st.execute("CREATE INDEX IF NOT EXISTS rb4j_runs_owner ON rb4j_runs (owner)");
      st.execute("CREATE INDEX IF NOT EXISTS rb4j_runs_lease ON rb4j_runs (finished, lease_until)");
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
        st.execute("INSERT INTO rb4j_schema (version) VALUES (" + SCHEMA_VERSION + ")");
      } else if (version > SCHEMA_VERSION) {
        rollbackQuietly();
        throw new JournalException("Journal " + redact(url) + " has schema version " + version
            + ", written by a newer Runbook4j; this Runbook4j reads schema version " + SCHEMA_VERSION
            + ". Upgrade Runbook4j to use this journal", null);
      }
      commit();
    }
  }

  /** An event waiting for the next group commit. */
  private static final class Pending {
    final RunEvent event;
    final String json;
    final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    volatile JournalException error;

    Pending(RunEvent event, String json) {
      this.event = event;
      this.json = json;
    }
  }

  private final java.util.concurrent.ConcurrentLinkedQueue<Pending> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private static final int MAX_BATCH = 256;

  /**
   * Records the event durably. Concurrent appends are group-committed: whichever caller holds the
   * connection writes every event waiting at that moment in one transaction (one sync), and each
   * caller returns when its own event is committed, or throws if its batch failed.
   */
  @Override
  public void append(RunEvent event) {
    Pending p = new Pending(event, EventJson.write(event));
    queue.add(p);
    try {
      while (!p.done.await(0, java.util.concurrent.TimeUnit.NANOSECONDS)) {
        if (lock.tryLock()) {
          try {
            drain();
          } finally {
            lock.unlock();
          }
          // events queued after the last poll by writers who found the lock taken: written now, not after
          // their writers' next try
          while (!queue.isEmpty() && lock.tryLock()) {
            try {
              drain();
            } finally {
              lock.unlock();
            }
          }
        } else {
          // whoever holds the lock drains the queue, and looks at it again after unlocking, so this event
          // is written without this thread waking up to try; the timeout is only a safety net
          p.done.await(20, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (p.done.getCount() > 0) {
        // still queued: the writer may yet commit it; the caller must not assume either way
        throw new JournalException("Interrupted while " + event.getClass().getSimpleName() + " of run "
            + event.runId() + " waited for its commit; it may or may not be recorded", e);
      }
    }
    if (p.error != null) {
      throw p.error;
    }
  }

  /** Writes every queued event, in batches of one transaction each; called with the lock held. */
  private void drain() {
    List<Pending> batch = new ArrayList<>();
    while (true) {
      batch.clear();
      for (Pending p; batch.size() < MAX_BATCH && (p = queue.poll()) != null; ) {
        batch.add(p);
      }
      if (batch.isEmpty()) {
        return;
      }
      boolean fast;
      try {
        begin();
        fast = writeFast(batch);
        insertEvent.clearBatch();
        if (casHead != null) {
          casHead.clearBatch();
        }
        if (fast) {
          commit();
        } else {
          rollbackQuietly();
        }
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly();
        clearBatches();
        fast = false;
      }
      if (!fast) {
        for (Pending p : batch) {
          heads.remove(p.event.runId());
        }
        writeCarefully(batch);
      }
      for (Pending p : batch) {
        p.done.countDown();
      }
    }
  }

  private void clearBatches() {
    try {
      if (insertEvent != null) {
        insertEvent.clearBatch();
      }
      if (casHead != null) {
        casHead.clearBatch();
      }
    } catch (SQLException ignored) {
      // the connection is broken; the careful path reports it
    }
  }

  /** The events one by one, each with its own outcome (another runner's run is refused, the rest written). */
  private void writeCarefully(List<Pending> batch) {
    try {
      begin();
      for (Pending p : batch) {
        write(p);
      }
      commit();
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly();
      for (Pending p : batch) {
        heads.remove(p.event.runId());
        p.error = new JournalException("Journal " + redact(url) + " could not record "
            + p.event.getClass().getSimpleName() + " of run " + p.event.runId() + ": " + e.getMessage(), e);
      }
    }
  }

  /** The last event of a run this journal wrote: its sequence number and hash. */
  private record Head(long seq, String hash) {}

  /**
   * The heads of the runs this journal wrote lately (bounded, so parked runs cost nothing here);
   * guarded by {@link #lock}. A cached head saves reading the head row before each append: the
   * write checks it instead, with a compare-and-set on the row.
   */
  private final java.util.Map<String, Head> heads = new java.util.LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, Head> eldest) {
      return size() > 2048;
    }
  };

  private PreparedStatement casHead;

  /** Drops the run's cached head: a parked run costs this journal no memory (its next append reads the head row). */
  @Override
  public void idle(String runId) {
    lock.lock();
    try {
      heads.remove(runId);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Writes a batch whose runs' heads are all known (cached, or new runs), in one batched insert
   * and one batched compare-and-set of the head rows; returns false, leaving the transaction to be
   * rolled back, when a head is unknown or moved (another runner wrote, or the run was taken over),
   * and the batch is then written carefully.
   */
  private boolean writeFast(List<Pending> batch) throws SQLException {
    prepare();
    java.util.Map<String, Head> before = new java.util.HashMap<>();
    java.util.Map<String, Head> after = new java.util.LinkedHashMap<>();
    java.util.Map<String, RunEvent> last = new java.util.HashMap<>();
    for (Pending p : batch) {
      RunEvent event = p.event;
      String runId = event.runId();
      Head h = after.get(runId);
      if (h == null) {
        h = heads.get(runId);
        if (h == null) {
          if (!(event instanceof RunEvent.RunStarted rs)) {
            return false;
          }
          insertRun.setString(1, runId);
          insertRun.setString(2, GENESIS);
          insertRun.setString(3, rs.runbook());
          insertRun.setString(4, runner);
          insertRun.setLong(5, event.at().plus(leaseTtl).toEpochMilli());
          if (insertRun.executeUpdate() != 1) {
            return false;  // the run exists already
          }
          keepAlive(connection, event.at());
          h = new Head(0, GENESIS);
        }
        before.put(runId, h);
      }
      if (last.get(runId) instanceof RunEvent.RunFinished) {
        return false;
      }
      long seq = h.seq() + 1;
      String hash = chain(h.hash(), seq, p.json);
      insertEvent.setString(1, runId);
      insertEvent.setLong(2, seq);
      insertEvent.setString(3, event.getClass().getSimpleName());
      insertEvent.setString(4, event.at().toString());
      insertEvent.setString(5, p.json);
      insertEvent.setString(6, hash);
      insertEvent.addBatch();
      after.put(runId, new Head(seq, hash));
      last.put(runId, event);
    }
    insertEvent.executeBatch();
    if (casHead == null) {
      // the lease is renewed by the heartbeat, not here: an append changes no indexed column of the
      // head row (PostgreSQL can update it in place), except the run's last, which ends the claim
      casHead = connection.prepareStatement("UPDATE rb4j_runs SET last_seq = ?, last_hash = ?, owner = CASE WHEN ? = 1"
          + " THEN NULL ELSE owner END, lease_until = CASE WHEN ? = 1 THEN NULL ELSE lease_until END, finished = ?"
          + " WHERE run_id = ? AND last_seq = ? AND last_hash = ? AND finished = 0 AND (owner IS NULL OR owner = ?)");
    }
    for (java.util.Map.Entry<String, Head> e : after.entrySet()) {
      Head was = before.get(e.getKey());
      int ends = last.get(e.getKey()) instanceof RunEvent.RunFinished ? 1 : 0;
      casHead.setLong(1, e.getValue().seq());
      casHead.setString(2, e.getValue().hash());
      casHead.setInt(3, ends);
      casHead.setInt(4, ends);
      casHead.setInt(5, ends);
      casHead.setString(6, e.getKey());
      casHead.setLong(7, was.seq());
      casHead.setString(8, was.hash());
      casHead.setString(9, runner);
      casHead.addBatch();
    }
    for (int n : casHead.executeBatch()) {
      if (n != 1) {
        return false;
      }
    }
    after.forEach((runId, h) -> {
      if (last.get(runId) instanceof RunEvent.RunFinished) {
        heads.remove(runId);
      } else {
        heads.put(runId, h);
      }
    });
    return true;
  }

  private PreparedStatement headQuery;
  private PreparedStatement insertRun;
  private PreparedStatement insertEvent;
  private PreparedStatement updateHead;

  /** Prepares the write statements once; called with the lock held. */
  private void prepare() throws SQLException {
    if (headQuery == null) {
      headQuery = connection.prepareStatement("SELECT last_seq, last_hash, owner, finished FROM rb4j_runs"
          + " WHERE run_id = ?" + (dialect == Dialect.POSTGRESQL ? " FOR UPDATE" : ""));
      insertRun = connection.prepareStatement("INSERT INTO rb4j_runs (run_id, created, last_seq, last_hash, runbook,"
          + " owner, lease_until, finished) SELECT ?, COALESCE(MAX(created), 0) + 1, 0, ?, ?, ?, ?, 0 FROM rb4j_runs"
          + " WHERE true ON CONFLICT (run_id) DO NOTHING");
      insertEvent = connection.prepareStatement(
          "INSERT INTO rb4j_events (run_id, seq, type, at, body, hash) VALUES (?, ?, ?, ?, ?, ?)");
      updateHead = connection.prepareStatement("UPDATE rb4j_runs SET last_seq = ?, last_hash = ?, owner = ?,"
          + " lease_until = ?, finished = ? WHERE run_id = ?");
    }
  }

  /**
   * Writes one event in the open transaction, or, when another runner owns the run, records
   * nothing and sets the event's error (the rest of the batch goes on).
   */
  private void write(Pending p) throws SQLException {
    prepare();
    RunEvent event = p.event;
    long seq = 0;
    String prev = null;
    String owner = null;
    boolean finished = false;
    for (int round = 0; round < 2 && prev == null; round++) {
      headQuery.setString(1, event.runId());
      try (ResultSet rs = headQuery.executeQuery()) {
        if (rs.next()) {
          seq = rs.getLong(1) + 1;
          prev = rs.getString(2);
          owner = rs.getString(3);
          finished = rs.getInt(4) != 0;
        }
      }
      if (prev == null) {
        // the run's first event: its head row, ordered after every run before it, owned by this runner
        insertRun.setString(1, event.runId());
        insertRun.setString(2, GENESIS);
        insertRun.setString(3, event instanceof RunEvent.RunStarted rs ? rs.runbook() : null);
        insertRun.setString(4, runner);
        insertRun.setLong(5, event.at().plus(leaseTtl).toEpochMilli());
        insertRun.executeUpdate();
      }
    }
    if (owner != null && !owner.equals(runner) && !finished) {
      p.error = new dev.runbook4j.LeaseLostException("Run " + event.runId() + " is owned by runner '" + owner
          + "'; runner '" + runner + "' lost its lease on it (it stalled past its lease and the run was taken over),"
          + " so its " + event.getClass().getSimpleName() + " was not recorded and it stops the run here");
      return;
    }
    keepAlive(connection, event.at());  // the run is this runner's (again, if it had been released)
    String hash = chain(prev, seq, p.json);
    insertEvent.setString(1, event.runId());
    insertEvent.setLong(2, seq);
    insertEvent.setString(3, event.getClass().getSimpleName());
    insertEvent.setString(4, event.at().toString());
    insertEvent.setString(5, p.json);
    insertEvent.setString(6, hash);
    insertEvent.executeUpdate();
    boolean ends = finished || event instanceof RunEvent.RunFinished;
    updateHead.setLong(1, seq);
    updateHead.setString(2, hash);
    updateHead.setString(3, ends ? null : runner);
    if (ends) {
      updateHead.setNull(4, java.sql.Types.BIGINT);
    } else {
      updateHead.setLong(4, event.at().plus(leaseTtl).toEpochMilli());
    }
    updateHead.setInt(5, ends ? 1 : 0);
    updateHead.setString(6, event.runId());
    updateHead.executeUpdate();
    if (ends) {
      heads.remove(event.runId());
    } else {
      heads.put(event.runId(), new Head(seq, hash));  // dropped again if this transaction fails
    }
  }

  /** Work inside one transaction on the journal's connection. */
  interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in a transaction, holding the journal's lock; {@code what} names it in errors. */
  <T> T transaction(String what, SqlWork<T> work) {
    lock.lock();
    try {
      begin();
      T result = work.run(connection);
      commit();
      return result;
    } catch (SQLException e) {
      rollbackQuietly();
      throw new JournalException("Journal " + redact(url) + " could not " + what + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      rollbackQuietly();
      throw e;
    } finally {
      lock.unlock();
    }
  }

  boolean postgres() {
    return dialect == Dialect.POSTGRESQL;
  }

  private PreparedStatement beginImmediate;
  private PreparedStatement commitSqlite;

  private void begin() throws SQLException {
    if (dialect == Dialect.SQLITE) {
      if (beginImmediate == null) {
        beginImmediate = connection.prepareStatement("BEGIN IMMEDIATE");
        commitSqlite = connection.prepareStatement("COMMIT");
      }
      beginImmediate.execute();
      inTransaction = true;
    }
  }

  private void commit() throws SQLException {
    if (dialect == Dialect.SQLITE) {
      if (inTransaction) {
        commitSqlite.execute();
      }
    } else {
      connection.commit();
    }
    inTransaction = false;
    if (aliveWriting != NONE) {
      aliveUntil = aliveWriting;
      aliveWriting = NONE;
    }
  }

  private void rollbackQuietly() {
    try {
      if (dialect == Dialect.SQLITE) {
        if (inTransaction) {
          try (Statement st = connection.createStatement()) {
            st.execute("ROLLBACK");
          }
        }
      } else {
        connection.rollback();
      }
    } catch (SQLException ignored) {
      // the connection is broken; the next call reports it
    }
    inTransaction = false;
    aliveWriting = NONE;
  }

  /**
   * Makes this runner alive for a lease from {@code now} in the open transaction, unless its row
   * says so for half a lease still: the transaction gives it runs, and a runner without a live row
   * loses them once their own lease (from when it took them) expires. The heartbeat renews it
   * unconditionally ({@link Leases#extend}).
   */
  private void keepAlive(Connection c, Instant now) throws SQLException {
    if (aliveWriting == NONE && aliveUntil < now.toEpochMilli() + leaseTtl.toMillis() / 2) {
      alive(c, now);
    }
  }

  private PreparedStatement alive;

  /** Writes this runner's row: alive for a lease from {@code now}; with the lock held, in a transaction. */
  private void alive(Connection c, Instant now) throws SQLException {
    if (alive == null) {
      alive = c.prepareStatement("INSERT INTO rb4j_runners (runner, alive_until) VALUES (?, ?)"
          + " ON CONFLICT (runner) DO UPDATE SET alive_until = excluded.alive_until");
    }
    long until = now.plus(leaseTtl).toEpochMilli();
    alive.setString(1, runner);
    alive.setLong(2, until);
    alive.executeUpdate();
    aliveWriting = until;
  }

  static String chain(String prev, long seq, String json) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(prev.getBytes(StandardCharsets.US_ASCII));
      md.update((byte) '\n');
      md.update(Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
      md.update((byte) '\n');
      return HexFormat.of().formatHex(md.digest(json.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public List<RunEvent> read(String runId) {
    List<RunEvent> events = new ArrayList<>();
    lock.lock();
    try (PreparedStatement q = connection.prepareStatement(
        "SELECT seq, body FROM rb4j_events WHERE run_id = ? ORDER BY seq")) {
      q.setString(1, runId);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          events.add(EventJson.read(rs.getString(2), runId, rs.getLong(1)));
        }
      }
      commit();
    } catch (SQLException e) {
      rollbackQuietly();
      throw new JournalException("Journal " + redact(url) + " could not read run " + runId + ": " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
    return events;
  }

  @Override
  public List<String> runIds() {
    return ids("SELECT run_id FROM rb4j_runs ORDER BY created, run_id");
  }

  /** The runs whose head row is not marked finished (from their last event), oldest first. */
  @Override
  public List<String> unfinishedRunIds() {
    return ids("SELECT run_id FROM rb4j_runs WHERE finished = 0 ORDER BY created, run_id");
  }

  private List<String> ids(String sql) {
    List<String> ids = new ArrayList<>();
    lock.lock();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
      commit();
    } catch (SQLException e) {
      rollbackQuietly();
      throw new JournalException("Journal " + redact(url) + " could not list runs: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
    return ids;
  }

  /**
   * Checks the hash chain of {@code runId}: each event's hash must cover its content and the hash
   * before it, sequence numbers must run 1, 2, 3 ... without gaps, and the last event must be the
   * one the run's head row names. Reports the first event that does not verify.
   */
  public JournalVerification verify(String runId) {
    lock.lock();
    try {
      long headSeq;
      String headHash;
      try (PreparedStatement h = connection.prepareStatement("SELECT last_seq, last_hash FROM rb4j_runs WHERE run_id = ?")) {
        h.setString(1, runId);
        try (ResultSet rs = h.executeQuery()) {
          if (!rs.next()) {
            commit();
            return JournalVerification.bad(runId, 0, 0, "run " + runId + " is not in the journal");
          }
          headSeq = rs.getLong(1);
          headHash = rs.getString(2);
        }
      }
      String prev = GENESIS;
      long expected = 1;
      try (PreparedStatement q = connection.prepareStatement(
          "SELECT seq, body, hash FROM rb4j_events WHERE run_id = ? ORDER BY seq")) {
        q.setString(1, runId);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            long seq = rs.getLong(1);
            if (seq != expected) {
              commit();
              return JournalVerification.bad(runId, expected - 1, expected, "event " + expected + " of run " + runId
                  + " is missing (the next one is " + seq + "): events were deleted or reordered");
            }
            String hash = chain(prev, seq, rs.getString(2));
            if (!hash.equals(rs.getString(3))) {
              commit();
              return JournalVerification.bad(runId, seq, seq, "event " + seq + " of run " + runId
                  + " does not match its hash: it was edited, or an earlier event was");
            }
            prev = hash;
            expected++;
          }
        }
      }
      commit();
      long count = expected - 1;
      if (count != headSeq || !prev.equals(headHash)) {
        return JournalVerification.bad(runId, count, count + 1, "run " + runId + " ends at event " + count
            + " but its head records event " + headSeq + ": the journal was cut off or its head was changed");
      }
      return JournalVerification.ok(runId, count);
    } catch (SQLException e) {
      rollbackQuietly();
      throw new JournalException("Journal " + redact(url) + " could not verify run " + runId + ": " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public java.util.Optional<String> problem(String runId) {
    JournalVerification v = verify(runId);
    return v.ok() ? java.util.Optional.empty() : v.problem();
  }

  /** The locks of this journal: durable, shared by every runner on it, with fencing tokens. */
  @Override
  public java.util.Optional<dev.runbook4j.spi.LockManager> lockManager() {
    return java.util.Optional.of(locks);
  }

  /** The run leases of this journal's runner. */
  @Override
  public java.util.Optional<RunLeases> leases() {
    return java.util.Optional.of(leases);
  }

  private final Parking parking = new Parking();

  @Override
  public java.util.Optional<dev.runbook4j.spi.ParkedRuns> parkedRuns() {
    return java.util.Optional.of(parking);
  }

  /** Parked runs in {@code rb4j_parked}: one row per parked run, wake-up times in epoch nanoseconds. */
  private final class Parking implements dev.runbook4j.spi.ParkedRuns {
    private static final String COLUMNS = "run_id, engine, wake_at, approval, events, slot";

    @Override
    public void park(String engine, String runId, Instant wakeAt, boolean approval, long events, int slot) {
      transaction("park run " + runId, c -> {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM rb4j_parked WHERE run_id = ?");
            PreparedStatement i = c.prepareStatement("INSERT INTO rb4j_parked (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
          d.setString(1, runId);
          d.executeUpdate();
          i.setString(1, runId);
          i.setString(2, engine);
          if (wakeAt == null) {
            i.setNull(3, java.sql.Types.BIGINT);
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
      return transaction("take parked run " + runId, c -> {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM rb4j_parked WHERE run_id = ?")) {
          d.setString(1, runId);
          return d.executeUpdate() == 1;
        }
      });
    }

    @Override
    public java.util.Optional<Parked> find(String runId) {
      List<Parked> found = query("find parked run " + runId, "SELECT " + COLUMNS + " FROM rb4j_parked WHERE run_id = ?",
          runId);
      return found.stream().findFirst();
    }

    @Override
    public List<Parked> takeDue(String engine, Instant now, int max) {
      return transaction("take the due parked runs", c -> {
        List<Parked> due = rows(c, "SELECT " + COLUMNS + " FROM rb4j_parked WHERE engine = ? AND wake_at <= ?"
            + " ORDER BY wake_at LIMIT " + Math.max(1, max) + (postgres() ? " FOR UPDATE SKIP LOCKED" : ""), engine,
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
    public java.util.Optional<Instant> next(String engine) {
      return transaction("read the next parked run's time", c -> {
        try (PreparedStatement q = c.prepareStatement("SELECT MIN(wake_at) FROM rb4j_parked WHERE engine = ?")) {
          q.setString(1, engine);
          try (ResultSet rs = q.executeQuery()) {
            if (rs.next()) {
              long at = rs.getLong(1);
              return rs.wasNull() ? java.util.Optional.<Instant>empty() : java.util.Optional.of(instant(at));
            }
            return java.util.Optional.<Instant>empty();
          }
        }
      });
    }

    @Override
    public int count(String engine) {
      return transaction("count the parked runs", c -> {
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
      return transaction("read the runbooks of runs parked elsewhere", c -> {
        try (PreparedStatement q = c.prepareStatement("SELECT DISTINCT r.runbook FROM rb4j_parked p JOIN rb4j_runs r ON"
            + " r.run_id = p.run_id WHERE p.engine <> ? AND r.finished = 0")) {
          q.setString(1, engine);
          Set<String> names = new java.util.TreeSet<>();
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
      return transaction("adopt the parked runs of runbook " + runbook, c -> {
        try (PreparedStatement claim = c.prepareStatement("UPDATE rb4j_runs SET owner = ?, lease_until = ? WHERE"
            + " finished = 0 AND runbook = ? AND " + CLAIMABLE + " AND run_id IN"
            + " (SELECT run_id FROM rb4j_parked WHERE engine <> ?)");
            PreparedStatement move = c.prepareStatement("UPDATE rb4j_parked SET engine = ?, slot = ? WHERE engine <> ?"
                + " AND run_id IN (SELECT run_id FROM rb4j_runs WHERE runbook = ? AND owner = ? AND finished = 0)")) {
          claim.setString(1, runner);
          claim.setLong(2, now.plus(leaseTtl).toEpochMilli());
          claim.setString(3, runbook);
          claim.setString(4, runner);
          claim.setLong(5, now.toEpochMilli());
          claim.setLong(6, now.toEpochMilli());
          claim.setString(7, engine);
          if (claim.executeUpdate() > 0) {
            keepAlive(c, now);
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
      transaction("wake parked run " + runId, c -> {
        try (PreparedStatement u = c.prepareStatement("UPDATE rb4j_parked SET wake_at = ? WHERE run_id = ? AND"
            + " (wake_at IS NULL OR wake_at > ?)")) {
          u.setLong(1, nanos(now));
          u.setString(2, runId);
          u.setLong(3, nanos(now));
          return u.executeUpdate();
        }
      });
    }

    private List<Parked> query(String what, String sql, Object... args) {
      return transaction(what, c -> rows(c, sql, args));
    }

    private List<Parked> rows(Connection c, String sql, Object... args) throws SQLException {
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
  }

  private static long nanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

  private static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  /**
   * The runs a runner may claim (parameters: the runner, now, now): unowned, its own, or whose lease
   * expired — the lease it got when its runner took it, and its runner's, renewed by its heartbeat.
   */
  private static final String CLAIMABLE = "(owner IS NULL OR owner = ? OR (lease_until < ? AND NOT EXISTS"
      + " (SELECT 1 FROM rb4j_runners w WHERE w.runner = rb4j_runs.owner AND w.alive_until >= ?)))";

  /** Run claims in the runs' head rows: owner and lease expiry, in the engine's time. */
  private final class Leases implements RunLeases {
    @Override
    public String runner() {
      return runner;
    }

    @Override
    public Duration leaseTtl() {
      return leaseTtl;
    }

    @Override
    public String claim(String runId, Instant now) {
      return transaction("claim run " + runId, c -> {
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
        try (PreparedStatement q = c.prepareStatement("SELECT owner FROM rb4j_runs WHERE run_id = ? AND finished = 0")) {
          q.setString(1, runId);
          try (ResultSet rs = q.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
          }
        }
      });
    }

    /** One row, whatever the number of runs this runner owns. */
    @Override
    public void extend(Instant now) {
      transaction("renew the lease of runner " + runner, c -> {
        alive(c, now);
        return null;
      });
    }

    @Override
    public java.util.Map<String, Long> renew(Instant now) {
      return transaction("renew the lease of runner " + runner, c -> {
        alive(c, now);
        java.util.Map<String, Long> owned = new java.util.LinkedHashMap<>();
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
      return transaction("take over expired runs", c -> {
        // two lookups, each on its index: the released runs (no lease), and the runs of each runner no
        // longer alive (by owner: few runners) — never a read of the runs live runners hold (parked
        // runs: many; the "+" keeps the planner off the lease index, where they all are)
        String in = " AND runbook IN (" + String.join(", ", java.util.Collections.nCopies(runbooks.size(), "?"))
            + ") ORDER BY created LIMIT ?" + (postgres() ? " FOR UPDATE SKIP LOCKED" : "");
        List<java.util.Map.Entry<Long, String>> found = new ArrayList<>();
        expired(c, "SELECT run_id, created FROM rb4j_runs WHERE finished = 0 AND lease_until IS NULL" + in,
            runbooks, max, found);
        expired(c, "SELECT run_id, created FROM rb4j_runs WHERE owner IN (SELECT runner FROM rb4j_runners WHERE"
            + " alive_until < ?) AND +finished = 0 AND +lease_until < ?" + in, runbooks, max, found,
            now.toEpochMilli(), now.toEpochMilli());
        List<String> ids = found.stream().sorted(java.util.Map.Entry.comparingByKey()).limit(max)
            .map(java.util.Map.Entry::getValue).toList();
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
    private void expired(Connection c, String sql, Set<String> runbooks, int max,
        List<java.util.Map.Entry<Long, String>> found, long... times) throws SQLException {
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
            found.add(java.util.Map.entry(rs.getLong(2), rs.getString(1)));
          }
        }
      }
    }

    @Override
    public void release(String runId) {
      transaction("release run " + runId, c -> {
        try (PreparedStatement u = c.prepareStatement(
            "UPDATE rb4j_runs SET owner = NULL, lease_until = NULL WHERE run_id = ? AND owner = ?")) {
          u.setString(1, runId);
          u.setString(2, runner);
          return u.executeUpdate();
        }
      });
    }

    @Override
    public String toString() {
      return "RunLeases[" + runner + ", " + leaseTtl + "]";
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      headQuery = null;
      connection.close();
    } catch (SQLException e) {
      throw new JournalException("Journal " + redact(url) + " did not close cleanly: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "JdbcJournal[" + redact(url) + "]";
  }
}
