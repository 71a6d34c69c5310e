package dev.runbook4j.journal.jdbc;

import dev.runbook4j.JournalException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The journal's one connection and its transactions: every component of the JDBC journal works
 * through it. SQLite runs in autocommit with an explicit {@code BEGIN IMMEDIATE} per write (so no
 * lock is held between calls and other processes may use the file); PostgreSQL uses JDBC
 * transactions. Components are told when a transaction commits or rolls back (what they wrote in
 * it becomes true, or is forgotten).
 */
final class Session {
  /** Work inside one transaction. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Told of the end of every transaction, under the lock. */
  interface Listener {
    void committed();

    void rolledBack();
  }

  final String url;
  final JdbcJournal.Dialect dialect;
  final Connection connection;
  final ReentrantLock lock = new ReentrantLock();
  /** How events are chained; set once, when the schema is read (see {@link Schema#migrate}). */
  volatile HashChain chain = HashChain.unkeyed();
  private boolean inTransaction;
  private PreparedStatement beginImmediate;
  private PreparedStatement commitSqlite;
  private int preparedAt;
  private final java.util.List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  Session(String url, JdbcJournal.Dialect dialect, Connection connection) throws SQLException {
    this.url = url;
    this.dialect = dialect;
    this.connection = connection;
    connection.setAutoCommit(dialect == JdbcJournal.Dialect.SQLITE);
  }

  void listen(Listener l) {
    listeners.add(l);
  }

  boolean postgres() {
    return dialect == JdbcJournal.Dialect.POSTGRESQL;
  }

  static JdbcJournal.Dialect dialectOf(String url) {
    String u = url.toLowerCase(Locale.ROOT);
    if (u.startsWith("jdbc:sqlite:")) {
      return JdbcJournal.Dialect.SQLITE;
    }
    if (u.startsWith("jdbc:postgresql:")) {
      return JdbcJournal.Dialect.POSTGRESQL;
    }
    throw new JournalException("Journal URL '" + redact(url) + "' names no supported database; use jdbc:sqlite:FILE"
        + " or jdbc:postgresql://HOST/DB", null);
  }

  /** The URL without its password (a query parameter, or the user-info part). */
  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("(//[^/@:]*):[^/@]*@", "$1:***@");
  }

  String where() {
    return "Journal " + redact(url);
  }

  /** Runs {@code work} in a transaction, holding the lock; {@code what} names it in errors. */
  <T> T transaction(String what, Work<T> work) {
    lock.lock();
    try {
      begin();
      T result = work.run(connection);
      commit();
      return result;
    } catch (SQLException e) {
      rollbackQuietly();
      throw new JournalException(where() + " could not " + what + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      rollbackQuietly();
      throw e;
    } finally {
      lock.unlock();
    }
  }

  /** Opens a write transaction; the caller holds the lock. */
  void begin() throws SQLException {
    if (dialect == JdbcJournal.Dialect.SQLITE) {
      if (beginImmediate == null || stale(preparedAt)) {
        closeQuietly(beginImmediate, commitSqlite);
        preparedAt = generation();
        beginImmediate = connection.prepareStatement("BEGIN IMMEDIATE");
        commitSqlite = connection.prepareStatement("COMMIT");
      }
      beginImmediate.execute();
      inTransaction = true;
    }
  }

  /**
   * Counts the transactions that failed. The SQLite driver finalizes a statement whose step fails
   * (a COMMIT on a full disk, say) and still reports it open, so a statement kept across
   * transactions is prepared again after any failure ({@link #stale}), or the journal would stay
   * broken once the disk has room again.
   */
  private int failures;

  /** The failure count to remember with statements prepared now; read under the lock. */
  int generation() {
    return failures;
  }

  /** Whether statements prepared at {@code generation} must be prepared again; under the lock. */
  boolean stale(int generation) {
    return generation != failures;
  }

  /** Closes statements about to be prepared again, ignoring what a broken connection says. */
  static void closeQuietly(PreparedStatement... statements) {
    for (PreparedStatement p : statements) {
      try {
        if (p != null) {
          p.close();
        }
      } catch (SQLException ignored) {
        // prepared again anyway
      }
    }
  }

  void commit() throws SQLException {
    if (dialect == JdbcJournal.Dialect.SQLITE) {
      if (inTransaction) {
        commitSqlite.execute();
      }
    } else {
      connection.commit();
    }
    inTransaction = false;
    for (Listener l : listeners) {
      l.committed();
    }
  }

  void rollbackQuietly() {
    rollbackQuietly(true);
  }

  /** Rolls back; {@code failed}: after an error, so cached statements are prepared again. */
  void rollbackQuietly(boolean failed) {
    if (failed) {
      failures++;
    }
    try {
      if (dialect == JdbcJournal.Dialect.SQLITE) {
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
    for (Listener l : listeners) {
      l.rolledBack();
    }
  }

  void close() throws SQLException {
    lock.lock();
    try {
      connection.close();
    } finally {
      lock.unlock();
    }
  }
}
