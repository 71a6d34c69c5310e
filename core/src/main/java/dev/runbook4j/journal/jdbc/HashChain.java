package dev.runbook4j.journal.jdbc;

import dev.runbook4j.JournalException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;

/**
 * Each event's hash covers its sequence number, its JSON and the hash before it (the first
 * event's "before" is {@link #GENESIS}); a run's head row names its last event. {@link #verify}
 * finds the first event of a run that was edited, reordered, deleted or cut off.
 */
final class HashChain {
  static final String GENESIS = "0".repeat(64);

  private HashChain() {}

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

  /** Checks the chain of {@code runId}, reading its head row and events once. */
  static JournalVerification verify(Session s, String runId) {
    s.lock.lock();
    try {
      long headSeq;
      String headHash;
      try (PreparedStatement h = s.connection.prepareStatement(
          "SELECT last_seq, last_hash FROM rb4j_runs WHERE run_id = ?")) {
        h.setString(1, runId);
        try (ResultSet rs = h.executeQuery()) {
          if (!rs.next()) {
            s.commit();
            return JournalVerification.bad(runId, 0, 0, "run " + runId + " is not in the journal");
          }
          headSeq = rs.getLong(1);
          headHash = rs.getString(2);
        }
      }
      String prev = GENESIS;
      long expected = 1;
      try (PreparedStatement q = s.connection.prepareStatement(
          "SELECT seq, body, hash FROM rb4j_events WHERE run_id = ? ORDER BY seq")) {
        q.setString(1, runId);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            long seq = rs.getLong(1);
            if (seq != expected) {
              s.commit();
              return JournalVerification.bad(runId, expected - 1, expected, "event " + expected + " of run " + runId
                  + " is missing (the next one is " + seq + "): events were deleted or reordered");
            }
            String hash = chain(prev, seq, rs.getString(2));
            if (!hash.equals(rs.getString(3))) {
              s.commit();
              return JournalVerification.bad(runId, seq, seq, "event " + seq + " of run " + runId
                  + " does not match its hash: it was edited, or an earlier event was");
            }
            prev = hash;
            expected++;
          }
        }
      }
      s.commit();
      long count = expected - 1;
      if (count != headSeq || !prev.equals(headHash)) {
        return JournalVerification.bad(runId, count, count + 1, "run " + runId + " ends at event " + count
            + " but its head records event " + headSeq + ": the journal was cut off or its head was changed");
      }
      return JournalVerification.ok(runId, count);
    } catch (SQLException e) {
      s.rollbackQuietly();
      throw new JournalException(s.where() + " could not verify run " + runId + ": " + e.getMessage(), e);
    } finally {
      s.lock.unlock();
    }
  }
}
