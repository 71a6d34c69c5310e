package dev.runbook4j.journal.jdbc;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.EventCodec;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.LockManager;
import dev.runbook4j.spi.ParkedRuns;
import dev.runbook4j.spi.RunLeases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
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
 * <p>Every journal object is a <em>runner</em> with an id of its own (by default the host, the
 * process id and a random part) and a lease: a run is driven only by the runner that holds its
 * claim. Several processes, and several machines on PostgreSQL, may share one journal; the journal
 * offers the engine {@link #leases()} (who drives which run; an event of a run from a runner that
 * does not own it is refused with a {@link dev.runbook4j.LeaseLostException}, and a run's
 * {@code RunStarted} is refused once the run exists, so two processes never both start one run id)
 * and {@link #lockManager()} (durable locks with fencing tokens, shared by every runner). Closing
 * the journal ends its runner: its unfinished runs are free for another runner at once.
 *
 * <p>This class is threadsafe; appends from one instance are serialised and group-committed.
 *
 * @since 0.1 (in {@code dev.runbook4j.journal} before 0.2)
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class JdbcJournal implements Journal, AutoCloseable {
  /** The SQL dialects this journal speaks. */
  public enum Dialect { SQLITE, POSTGRESQL }

  /** The schema version this code writes and reads. */
  public static final int SCHEMA_VERSION = Schema.VERSION;

  /** The lease a runner holds on its runs when none is given. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

  private final Session session;
  private final JdbcLeases leases;
  private final GroupCommit commits;
  private final JdbcLocks locks;
  private final JdbcParkedRuns parked;

  private JdbcJournal(String url, Properties properties, String runner, Duration leaseTtl, byte[] key) {
    Dialect dialect = Session.dialectOf(url);
    Duration ttl = leaseTtl != null ? leaseTtl : DEFAULT_LEASE;
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("leaseTtl must be positive: " + leaseTtl);
    }
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
    java.sql.Connection connection = null;
    try {
      connection = DriverManager.getConnection(url, props);
      this.session = new Session(url, dialect, connection);
      session.chain = Schema.migrate(session, key);
    } catch (RuntimeException e) {
      closeQuietly(connection);
      throw e;
    } catch (SQLException e) {
      closeQuietly(connection);
      throw new JournalException("Journal " + Session.redact(url) + " cannot be opened: "
          + Session.redact(String.valueOf(e.getMessage()))
          + (e.getMessage() != null && e.getMessage().contains("No suitable driver")
              ? "; add the JDBC driver (org.xerial:sqlite-jdbc or org.postgresql:postgresql) to the class path" : ""),
          e);
    }
    this.leases = new JdbcLeases(session, runner != null ? runner : defaultRunner(), ttl);
    this.commits = new GroupCommit(session, leases);
    this.locks = new JdbcLocks(session);
    this.parked = new JdbcParkedRuns(session, leases);
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
    return new JdbcJournal("jdbc:sqlite:" + file.toAbsolutePath(), new Properties(), null, null, null);
  }

  private static void closeQuietly(java.sql.Connection c) {
    try {
      if (c != null) {
        c.close();
      }
    } catch (SQLException ignored) {
      // the journal was not opened; the first error is the one reported
    }
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
  @API(status = API.Status.EXPERIMENTAL, since = "0.1")
  public static final class Builder {
    private final String url;
    private final Properties properties = new Properties();
    private String runner;
    private Duration leaseTtl;
    private byte[] key;

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
     * This runner's id, unique among the live runners that share the journal. Default: the host, the
     * process id and a random part ({@code host:pid:3f9a0c}), new for every journal object. Name it
     * when one long-lived runner should pick its own runs up at once after a restart; two live
     * journal objects must never share an id (they could both drive one run).
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
     * runner takes the run over. The engine renews it every third of the lease. A runner on the same
     * host whose process is gone loses its runs at once.
     */
    public Builder leaseTtl(Duration leaseTtl) {
      this.leaseTtl = Objects.requireNonNull(leaseTtl, "leaseTtl");
      return this;
    }

    /**
     * The journal's key (at least 16 bytes; 32 random bytes are best): each event's hash is then an
     * HMAC-SHA256 under it, and each run's head row carries a MAC, so that whoever can write the
     * database but has not the key cannot append an event (an approval, say) or cut a run's tail
     * without {@link JdbcJournal#verify} finding it. A journal is keyed when it is created with a
     * key, and is then refused with another key; without its key it is read but not written. An
     * unkeyed journal stays unkeyed (a key is refused): start a new journal to key it.
     *
     * @since 0.7
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.7")
    public Builder key(byte[] key) {
      this.key = Objects.requireNonNull(key, "key").clone();
      if (this.key.length < HashChain.MIN_KEY_BYTES) {
        throw new IllegalArgumentException("A journal key must have at least " + HashChain.MIN_KEY_BYTES
            + " bytes; this one has " + key.length + " (32 random bytes are best: head -c 32 /dev/urandom > journal.key)");
      }
      return this;
    }

    /** {@link #key(byte[])} read from {@code file} (its bytes, without a last line break). */
    public Builder keyFile(Path file) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new JournalException("The journal key file " + file + " cannot be read: " + e.getMessage(), e);
      }
      int n = bytes.length;
      while (n > 0 && (bytes[n - 1] == '\n' || bytes[n - 1] == '\r')) {
        n--;
      }
      return key(java.util.Arrays.copyOf(bytes, n));
    }

    /** Opens the journal, creating or upgrading its schema. */
    public JdbcJournal build() {
      return new JdbcJournal(url, properties, runner, leaseTtl, key);
    }
  }

  private static String defaultRunner() {
    RunnerProcess p = RunnerProcess.current();
    String host = p.host().length() > 150 ? p.host().substring(0, 150) : p.host();
    byte[] random = new byte[3];
    ThreadLocalRandom.current().nextBytes(random);
    return host + ":" + p.pid() + ":" + HexFormat.of().formatHex(random);
  }

  /** This runner's id, written as the owner of the runs it drives. */
  public String runner() {
    return leases.runner();
  }

  public Dialect dialect() {
    return session.dialect;
  }

  @Override
  public void append(RunEvent event) {
    commits.append(event);
  }

  /** In one transaction, with the run's head row locked; the run's owner stays its owner. */
  @Override
  public boolean appendIf(String runId, long expected, List<RunEvent> events) {
    return commits.appendIf(runId, expected, events);
  }

  @Override
  public List<RunEvent> read(String runId) {
    List<RunEvent> events = new ArrayList<>();
    session.lock.lock();
    try (PreparedStatement q = session.connection.prepareStatement(
        "SELECT seq, body FROM rb4j_events WHERE run_id = ? ORDER BY seq")) {
      q.setString(1, runId);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          events.add(EventCodec.read(rs.getString(2), runId, rs.getLong(1)));
        }
      }
      session.commit();
    } catch (SQLException e) {
      session.rollbackQuietly();
      throw new JournalException(session.where() + " could not read run " + runId + ": " + e.getMessage(), e);
    } finally {
      session.lock.unlock();
    }
    return events;
  }

  /** Reads the run's events and checks their chain in one pass over its rows. */
  @Override
  public Verified readVerified(String runId) {
    List<RunEvent> events = new ArrayList<>();
    session.lock.lock();
    try {
      long headSeq = -1;
      String headHash = null;
      String headMac = null;
      try (PreparedStatement h = session.connection.prepareStatement(
          "SELECT last_seq, last_hash, head_mac FROM rb4j_runs WHERE run_id = ?")) {
        h.setString(1, runId);
        try (ResultSet rs = h.executeQuery()) {
          if (rs.next()) {
            headSeq = rs.getLong(1);
            headHash = rs.getString(2);
            headMac = rs.getString(3);
          }
        }
      }
      HashChain.Checker check = session.chain.canChain() ? session.chain.new Checker(runId) : null;
      try (PreparedStatement q = session.connection.prepareStatement(
          "SELECT seq, body, hash FROM rb4j_events WHERE run_id = ? ORDER BY seq")) {
        q.setString(1, runId);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            long seq = rs.getLong(1);
            String body = rs.getString(2);
            if (check != null) {
              check.next(seq, body, rs.getString(3));
            }
            events.add(EventCodec.read(body, runId, seq));
          }
        }
      }
      session.commit();
      String problem = check != null ? check.finish(headHash == null ? -1 : headSeq, headHash, headMac)
          : "run " + runId + " cannot be verified here: the journal is keyed (key " + session.chain.keyId()
              + ") and was opened without its key";
      return new Verified(events, Optional.ofNullable(problem));
    } catch (SQLException e) {
      session.rollbackQuietly();
      throw new JournalException(session.where() + " could not read run " + runId + ": " + e.getMessage(), e);
    } finally {
      session.lock.unlock();
    }
  }

  /** One query on the head rows per 500 runs. */
  @Override
  public java.util.Map<String, Long> lengths(java.util.Collection<String> runIds) {
    java.util.Map<String, Long> n = new java.util.HashMap<>();
    List<String> ids = List.copyOf(runIds);
    for (int from = 0; from < ids.size(); from += 500) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + 500));
      session.transaction("read the length of " + chunk.size() + " runs", c -> {
        try (PreparedStatement q = c.prepareStatement("SELECT run_id, last_seq FROM rb4j_runs WHERE run_id IN ("
            + String.join(", ", java.util.Collections.nCopies(chunk.size(), "?")) + ")")) {
          for (int i = 0; i < chunk.size(); i++) {
            q.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
              n.put(rs.getString(1), rs.getLong(2));
            }
          }
        }
        return null;
      });
    }
    return n;
  }

  @Override
  public List<String> runIds() {
    return ids("SELECT run_id FROM rb4j_runs ORDER BY created, run_id");
  }

  /**
   * The ids of the latest runs, newest first, read from the head rows alone (an index): at most
   * {@code limit}, of {@code runbook} only when it is not null, started at or after {@code since}
   * when it is not null.
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  public List<String> latestRunIds(int limit, String runbook, java.time.Instant since) {
    return session.transaction("list the latest runs", c -> {
      List<String> ids = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement("SELECT r.run_id FROM rb4j_runs r" + where(runbook, since)
          + " ORDER BY r.created DESC LIMIT ?")) {
        int i = bind(q, runbook, since);
        q.setInt(i, limit);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
          }
        }
      }
      return ids;
    });
  }

  /**
   * How many runs {@link #latestRunIds} chooses from (all of them without a limit).
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  public long runCount(String runbook, java.time.Instant since) {
    return session.transaction("count the runs", c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM rb4j_runs r" + where(runbook, since))) {
        bind(q, runbook, since);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0L;
        }
      }
    });
  }

  /** The run's first event's time is its start: events hold it as ISO-8601 text, which sorts as time does. */
  private static String where(String runbook, java.time.Instant since) {
    List<String> terms = new ArrayList<>();
    if (runbook != null) {
      terms.add("r.runbook = ?");
    }
    if (since != null) {
      terms.add("EXISTS (SELECT 1 FROM rb4j_events e WHERE e.run_id = r.run_id AND e.seq = 1 AND e.at >= ?)");
    }
    return terms.isEmpty() ? "" : " WHERE " + String.join(" AND ", terms);
  }

  private static int bind(PreparedStatement q, String runbook, java.time.Instant since) throws SQLException {
    int i = 1;
    if (runbook != null) {
      q.setString(i++, runbook);
    }
    if (since != null) {
      q.setString(i++, since.toString());
    }
    return i;
  }

  /**
   * The runs that have events but no head row: damaged or edited (a head row is written with a
   * run's first event, in one transaction), so they do not verify; listed so that they are named
   * rather than passed over.
   */
  public List<String> runIdsWithoutHead() {
    return ids("SELECT DISTINCT e.run_id FROM rb4j_events e WHERE NOT EXISTS"
        + " (SELECT 1 FROM rb4j_runs r WHERE r.run_id = e.run_id) ORDER BY e.run_id");
  }

  /** The runs whose head row is not marked finished (from their last event), oldest first. */
  @Override
  public List<String> unfinishedRunIds() {
    return ids("SELECT run_id FROM rb4j_runs WHERE finished = 0 ORDER BY created, run_id");
  }

  private List<String> ids(String sql) {
    List<String> ids = new ArrayList<>();
    session.lock.lock();
    try (Statement st = session.connection.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
      session.commit();
    } catch (SQLException e) {
      session.rollbackQuietly();
      throw new JournalException(session.where() + " could not list runs: " + e.getMessage(), e);
    } finally {
      session.lock.unlock();
    }
    return ids;
  }

  /**
   * Checks the hash chain of {@code runId}: each event's hash must cover its content and the hash
   * before it, sequence numbers must run 1, 2, 3 ... without gaps, and the last event must be the
   * one the run's head row names. Reports the first event that does not verify.
   */
  public JournalVerification verify(String runId) {
    return session.chain.verify(session, runId);
  }

  /**
   * How this journal's runs are checked by {@link #verify}: {@code KEYED} (HMAC-SHA256 under its key),
   * {@code UNKEYED} (SHA-256: damage is found, a forgery is not), or {@code NOT_CHECKED} (a keyed
   * journal opened without its key).
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  public JournalVerification.Check check() {
    HashChain c = session.chain;
    return !c.keyed() ? JournalVerification.Check.UNKEYED
        : c.canChain() ? JournalVerification.Check.KEYED : JournalVerification.Check.NOT_CHECKED;
  }

  /**
   * The id of this journal's key (a fingerprint that does not reveal it), if it is keyed.
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  public Optional<String> keyId() {
    return Optional.ofNullable(session.chain.keyId());
  }

  @Override
  public Optional<String> problem(String runId) {
    JournalVerification v = verify(runId);
    return v.ok() ? Optional.empty() : v.problem();
  }

  /** Drops the run's cached head: a parked run costs this journal no memory (its next append reads the head row). */
  @Override
  public void idle(String runId) {
    commits.forget(runId);
  }

  /** The locks of this journal: durable, shared by every runner on it, with fencing tokens. */
  @Override
  public Optional<LockManager> lockManager() {
    return Optional.of(locks);
  }

  /** The run leases of this journal's runner. */
  @Override
  public Optional<RunLeases> leases() {
    return Optional.of(leases);
  }

  @Override
  public Optional<ParkedRuns> parkedRuns() {
    return Optional.of(parked);
  }

  /**
   * Closes the connection; this journal's runner ends first (its unfinished runs are free for another
   * runner at once, and their locks are taken over with them).
   */
  @Override
  public void close() {
    try {
      leases.stop();
    } catch (RuntimeException e) {
      // the connection is broken: its runs are free once its lease lapses
    }
    try {
      commits.closed();
      session.close();
    } catch (SQLException e) {
      throw new JournalException(session.where() + " did not close cleanly: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "JdbcJournal[" + Session.redact(session.url) + "]";
  }
}
