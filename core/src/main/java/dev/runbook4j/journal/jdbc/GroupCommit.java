package dev.runbook4j.journal.jdbc;

import dev.runbook4j.JournalException;
import dev.runbook4j.LeaseLostException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.EventCodec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Appends, group-committed: whichever caller holds the connection writes every event waiting at
 * that moment in one transaction (one sync), and each caller returns when its own event is
 * committed, or throws if its batch failed. A batch whose runs' heads are known is written with
 * one batched insert and one batched compare-and-set of the head rows; otherwise (a head unknown
 * or moved: another runner wrote, or the run was taken over) event by event, each with its own
 * outcome.
 */
final class GroupCommit {
  /** An event waiting for the next group commit. */
  private static final class Pending {
    final RunEvent event;
    final String json;
    final CountDownLatch done = new CountDownLatch(1);
    volatile JournalException error;

    Pending(RunEvent event, String json) {
      this.event = event;
      this.json = json;
    }
  }

  /** The last event of a run this journal wrote: its sequence number and hash. */
  private record Head(long seq, String hash) {}

  private static final int MAX_BATCH = 256;

  private final Session s;
  private final JdbcLeases leases;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  /**
   * The heads of the runs this journal wrote lately (bounded, so parked runs cost nothing here);
   * guarded by the session lock. A cached head saves reading the head row before each append: the
   * write checks it instead, with a compare-and-set on the row.
   */
  private final Map<String, Head> heads = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Head> eldest) {
      return size() > 2048;
    }
  };
  private PreparedStatement headQuery;
  private PreparedStatement insertRun;
  private PreparedStatement insertEvent;
  private PreparedStatement updateHead;
  private PreparedStatement casHead;
  /** The session's generation when these statements were prepared (see {@link Session#stale}). */
  private int preparedAt;

  GroupCommit(Session s, JdbcLeases leases) {
    this.s = s;
    this.leases = leases;
  }

  void append(RunEvent event) {
    Pending p = new Pending(event, EventCodec.write(event));
    queue.add(p);
    try {
      while (!p.done.await(0, TimeUnit.NANOSECONDS)) {
        if (s.lock.tryLock()) {
          try {
            drain();
          } finally {
            s.lock.unlock();
          }
          // events queued after the last poll by writers who found the lock taken: written now, not after
          // their writers' next try
          while (!queue.isEmpty() && s.lock.tryLock()) {
            try {
              drain();
            } finally {
              s.lock.unlock();
            }
          }
        } else {
          // whoever holds the lock drains the queue, and looks at it again after unlocking, so this event
          // is written without this thread waking up to try; the timeout is only a safety net
          p.done.await(20, TimeUnit.MILLISECONDS);
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

  /**
   * Appends {@code events} in one transaction if the run's head is at {@code expected} and the run
   * has not ended; the owner is left as it is (a decision from any runner).
   */
  boolean appendIf(String runId, long expected, List<RunEvent> events) {
    List<String> json = events.stream().map(EventCodec::write).toList();
    try {
      return s.transaction("record a decision on run " + runId, c -> {
        prepare();
        headQuery.setString(1, runId);
        long seq;
        String prev;
        try (ResultSet rs = headQuery.executeQuery()) {
          if (!rs.next() || rs.getLong(1) != expected || rs.getInt(4) != 0) {
            return false;
          }
          seq = rs.getLong(1);
          prev = rs.getString(2);
        }
        for (int i = 0; i < events.size(); i++) {
          RunEvent event = events.get(i);
          seq++;
          prev = s.chain.event(runId, prev, seq, json.get(i));
          insertEvent.setString(1, runId);
          insertEvent.setLong(2, seq);
          insertEvent.setString(3, event.getClass().getSimpleName());
          insertEvent.setString(4, event.at().toString());
          insertEvent.setString(5, json.get(i));
          insertEvent.setString(6, prev);
          insertEvent.executeUpdate();
        }
        try (PreparedStatement u = c.prepareStatement("UPDATE rb4j_runs SET last_seq = ?, last_hash = ?, head_mac = ?"
            + " WHERE run_id = ?")) {
          u.setLong(1, seq);
          u.setString(2, prev);
          u.setString(3, s.chain.head(runId, seq, prev));
          u.setString(4, runId);
          u.executeUpdate();
        }
        heads.remove(runId);
        return true;
      });
    } catch (RuntimeException e) {
      forget(runId);
      throw e;
    }
  }

  /** Drops the run's cached head: a parked run costs this journal no memory (its next append reads the head row). */
  void forget(String runId) {
    s.lock.lock();
    try {
      heads.remove(runId);
    } finally {
      s.lock.unlock();
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
        s.begin();
        fast = writeFast(batch);
        insertEvent.clearBatch();
        if (casHead != null) {
          casHead.clearBatch();
        }
        if (fast) {
          s.commit();
        } else {
          s.rollbackQuietly(false);  // nothing failed: the batch is written carefully
        }
      } catch (SQLException | RuntimeException e) {
        s.rollbackQuietly();
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
      s.begin();
      for (Pending p : batch) {
        write(p);
      }
      s.commit();
    } catch (SQLException | RuntimeException e) {
      s.rollbackQuietly();
      for (Pending p : batch) {
        heads.remove(p.event.runId());
        p.error = new JournalException(s.where() + " could not record " + p.event.getClass().getSimpleName()
            + " of run " + p.event.runId() + ": " + e.getMessage(), e);
      }
    }
  }

  /** Prepares the write statements once; called with the lock held. */
  private void prepare() throws SQLException {
    if (headQuery == null || s.stale(preparedAt)) {
      Session.closeQuietly(headQuery, insertRun, insertEvent, updateHead, casHead);
      casHead = null;
      preparedAt = s.generation();
      headQuery = s.connection.prepareStatement("SELECT last_seq, last_hash, owner, finished FROM rb4j_runs"
          + " WHERE run_id = ?" + (s.postgres() ? " FOR UPDATE" : ""));
      insertRun = s.connection.prepareStatement("INSERT INTO rb4j_runs (run_id, created, last_seq, last_hash, runbook,"
          + " owner, lease_until, finished, head_mac) SELECT ?, COALESCE(MAX(created), 0) + 1, 0, ?, ?, ?, ?, 0, ? FROM rb4j_runs"
          + " WHERE true ON CONFLICT (run_id) DO NOTHING");
      insertEvent = s.connection.prepareStatement(
          "INSERT INTO rb4j_events (run_id, seq, type, at, body, hash) VALUES (?, ?, ?, ?, ?, ?)");
      updateHead = s.connection.prepareStatement("UPDATE rb4j_runs SET last_seq = ?, last_hash = ?, owner = ?,"
          + " lease_until = ?, finished = ?, head_mac = ? WHERE run_id = ?");
    }
  }

  /**
   * Writes a batch whose runs' heads are all known (cached, or new runs), in one batched insert
   * and one batched compare-and-set of the head rows; returns false, leaving the transaction to be
   * rolled back, when a head is unknown or moved, and the batch is then written carefully.
   */
  private boolean writeFast(List<Pending> batch) throws SQLException {
    prepare();
    Map<String, Head> before = new HashMap<>();
    Map<String, Head> after = new LinkedHashMap<>();
    Map<String, RunEvent> last = new HashMap<>();
    for (Pending p : batch) {
      RunEvent event = p.event;
      String runId = event.runId();
      Head h = after.get(runId);
      if (h != null && event instanceof RunEvent.RunStarted) {
        return false;  // a second start of one run: refused on the careful path
      }
      if (h == null) {
        h = heads.get(runId);
        if (h != null && event instanceof RunEvent.RunStarted) {
          return false;
        }
        if (h == null) {
          if (!(event instanceof RunEvent.RunStarted rs)) {
            return false;
          }
          insertRun.setString(1, runId);
          insertRun.setString(2, HashChain.GENESIS);
          insertRun.setString(3, rs.runbook());
          insertRun.setString(4, leases.runner());
          insertRun.setLong(5, event.at().plus(leases.leaseTtl()).toEpochMilli());
          insertRun.setString(6, s.chain.head(runId, 0, HashChain.GENESIS));
          if (insertRun.executeUpdate() != 1) {
            return false;  // the run exists already
          }
          leases.keepAlive(s.connection, event.at());
          h = new Head(0, HashChain.GENESIS);
        }
        before.put(runId, h);
      }
      if (last.get(runId) instanceof RunEvent.RunFinished) {
        return false;
      }
      long seq = h.seq() + 1;
      String hash = s.chain.event(runId, h.hash(), seq, p.json);
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
      casHead = s.connection.prepareStatement("UPDATE rb4j_runs SET last_seq = ?, last_hash = ?, owner = CASE WHEN"
          + " ? = 1 THEN NULL ELSE owner END, lease_until = CASE WHEN ? = 1 THEN NULL ELSE lease_until END,"
          + " finished = ?, head_mac = ? WHERE run_id = ? AND last_seq = ? AND last_hash = ? AND finished = 0 AND"
          + " (owner IS NULL OR owner = ?)");
    }
    for (Map.Entry<String, Head> e : after.entrySet()) {
      Head was = before.get(e.getKey());
      int ends = last.get(e.getKey()) instanceof RunEvent.RunFinished ? 1 : 0;
      casHead.setLong(1, e.getValue().seq());
      casHead.setString(2, e.getValue().hash());
      casHead.setInt(3, ends);
      casHead.setInt(4, ends);
      casHead.setInt(5, ends);
      casHead.setString(6, s.chain.head(e.getKey(), e.getValue().seq(), e.getValue().hash()));
      casHead.setString(7, e.getKey());
      casHead.setLong(8, was.seq());
      casHead.setString(9, was.hash());
      casHead.setString(10, leases.runner());
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

  /**
   * Writes one event in the open transaction, or, when another runner owns the run, records
   * nothing and sets the event's error (the rest of the batch goes on). A run's first event
   * ({@code RunStarted}) is refused when the run exists already: two processes that start one run
   * id at the same moment never both start it.
   */
  private void write(Pending p) throws SQLException {
    prepare();
    RunEvent event = p.event;
    String runner = leases.runner();
    long seq = 0;
    String prev = null;
    String owner = null;
    boolean finished = false;
    boolean created = false;
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
        insertRun.setString(2, HashChain.GENESIS);
        insertRun.setString(3, event instanceof RunEvent.RunStarted rs ? rs.runbook() : null);
        insertRun.setString(4, runner);
        insertRun.setLong(5, event.at().plus(leases.leaseTtl()).toEpochMilli());
        insertRun.setString(6, s.chain.head(event.runId(), 0, HashChain.GENESIS));
        created = insertRun.executeUpdate() == 1;
      }
    }
    if (event instanceof RunEvent.RunStarted && !created) {
      p.error = new JournalException("Run " + event.runId() + " exists already in " + s.where().substring(8)
          + " (started by " + (owner == null ? "a runner that is gone" : "runner '" + owner + "'")
          + "); its RunStarted was not recorded again", null);
      return;
    }
    if (owner != null && !owner.equals(runner) && !finished) {
      p.error = new LeaseLostException("Run " + event.runId() + " is owned by runner '" + owner + "'; runner '"
          + runner + "' lost its lease on it (it stalled past its lease and the run was taken over), so its "
          + event.getClass().getSimpleName() + " was not recorded and it stops the run here");
      return;
    }
    leases.keepAlive(s.connection, event.at());  // the run is this runner's (again, if it had been released)
    String hash = s.chain.event(event.runId(), prev, seq, p.json);
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
      updateHead.setNull(4, Types.BIGINT);
    } else {
      updateHead.setLong(4, event.at().plus(leases.leaseTtl()).toEpochMilli());
    }
    updateHead.setInt(5, ends ? 1 : 0);
    updateHead.setString(6, s.chain.head(event.runId(), seq, hash));
    updateHead.setString(7, event.runId());
    updateHead.executeUpdate();
    if (ends) {
      heads.remove(event.runId());
    } else {
      heads.put(event.runId(), new Head(seq, hash));  // dropped again if this transaction fails
    }
  }

  void closed() {
    headQuery = null;
  }
}
