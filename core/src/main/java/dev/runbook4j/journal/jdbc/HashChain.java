package dev.runbook4j.journal.jdbc;

import dev.runbook4j.JournalException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a journal chains its events. Each event's hash covers its sequence number, its JSON and the
 * hash before it (the first event's "before" is {@link #GENESIS}); a run's head row names its last
 * event. Unkeyed, the hash is SHA-256: it finds accidental damage (an edit, a cut, a reorder), but
 * whoever can write the journal can recompute it. Keyed, each hash is an HMAC-SHA256 under the
 * journal's key, which also covers the run id, and the head row carries a MAC of (run, last
 * sequence number, last hash): without the key nobody can append an event that verifies, nor
 * re-point a head row to an earlier event after cutting the tail.
 *
 * <p>A journal is keyed or not from its creation (recorded in its {@code rb4j_meta} table with the
 * key's id, a fingerprint that does not reveal the key): a keyed journal opened with another key is
 * refused, one opened without its key is read but not written.
 */
final class HashChain {
  static final String GENESIS = "0".repeat(64);
  /** The smallest key accepted, in bytes. */
  static final int MIN_KEY_BYTES = 16;

  private final SecretKeySpec key;
  /** The key's fingerprint, or null when unkeyed. */
  private final String keyId;
  /** Whether this process has the key (false for a keyed journal opened without it). */
  private final boolean hasKey;
  private final ThreadLocal<MessageDigest> sha = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  });
  private final ThreadLocal<Mac> mac;

  private HashChain(byte[] key, String keyId) {
    this.key = key == null ? null : new SecretKeySpec(key, "HmacSHA256");
    this.keyId = keyId;
    this.hasKey = key != null;
    this.mac = ThreadLocal.withInitial(() -> {
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(this.key);
        return m;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
      }
    });
  }

  /** SHA-256, no key. */
  static HashChain unkeyed() {
    return new HashChain(null, null);
  }

  /** HMAC-SHA256 under {@code key} (at least {@link #MIN_KEY_BYTES} bytes). */
  static HashChain keyed(byte[] key) {
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException("A journal key must have at least " + MIN_KEY_BYTES + " bytes; this one has "
          + key.length + " (32 random bytes are best: head -c 32 /dev/urandom > journal.key)");
    }
    HashChain probe = new HashChain(key.clone(), null);
    return new HashChain(key.clone(), probe.hmac("runbook4j journal key id").substring(0, 16));
  }

  /** A keyed journal opened without its key: it is read, but neither written nor verified. */
  static HashChain withoutKey(String keyId) {
    return new HashChain(null, keyId);
  }

  boolean keyed() {
    return keyId != null;
  }

  /** The key's id (a fingerprint of it), or null when unkeyed. */
  String keyId() {
    return keyId;
  }

  /** Whether events can be chained (and checked) here: unkeyed, or keyed with the key at hand. */
  boolean canChain() {
    return !keyed() || hasKey;
  }

  /** How this chain is named in messages. */
  String describe() {
    return !keyed() ? "SHA-256 (no key)" : "HMAC-SHA256 with key " + keyId;
  }

  /** The hash of event {@code seq} of {@code runId}, after {@code prev}. */
  String event(String runId, String prev, long seq, String json) {
    if (!keyed()) {
      MessageDigest md = sha.get();
      md.update(prev.getBytes(StandardCharsets.US_ASCII));
      md.update((byte) '\n');
      md.update(Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
      md.update((byte) '\n');
      return HexFormat.of().formatHex(md.digest(json.getBytes(StandardCharsets.UTF_8)));
    }
    return hmac(runId + "\n" + prev + "\n" + seq + "\n" + json);
  }

  /** The MAC of a run's head row, or null when unkeyed. */
  String head(String runId, long seq, String hash) {
    return keyed() ? hmac("head\n" + runId + "\n" + seq + "\n" + hash) : null;
  }

  private String hmac(String text) {
    if (!hasKey) {
      throw new JournalException("This journal is keyed (key " + keyId + ") and was opened without its key: it is"
          + " read, not written; give its key (RUNBOOK4J_JOURNAL_KEY, RUNBOOK4J_JOURNAL_KEY_FILE or"
          + " --journal-key-file; in Java, JdbcJournal.builder(url).key(...))", null);
    }
    return HexFormat.of().formatHex(mac.get().doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** Checks one run's rows in order: fed each event, then {@link #finish}ed with the head row. */
  final class Checker {
    private final String runId;
    private String prev = GENESIS;
    private long expected = 1;
    private String problem;
    private long firstBad;

    Checker(String runId) {
      this.runId = runId;
    }

    /** Checks the next row (seq, body, hash); once a problem is found the rest are only counted. */
    void next(long seq, String body, String hash) {
      if (problem != null) {
        return;
      }
      if (seq != expected) {
        fail(expected, "event " + expected + " of run " + runId + " is missing (the next one is " + seq
            + "): events were deleted or reordered");
        return;
      }
      String h = event(runId, prev, seq, body);
      if (!h.equals(hash)) {
        fail(seq, "event " + seq + " of run " + runId + " does not match its hash: it was edited, or an earlier"
            + " event was" + (keyed() ? ", or it was written without the journal's key (a forgery)" : ""));
        return;
      }
      prev = h;
      expected++;
    }

    private void fail(long seq, String what) {
      problem = what;
      firstBad = seq;
    }

    /**
     * The problem found, checking the head row last ({@code headSeq} -1: there is none); null when the
     * run verifies.
     */
    String finish(long headSeq, String headHash, String headMac) {
      long count = expected - 1;
      if (problem == null && headSeq >= 0 && (count != headSeq || !prev.equals(headHash))) {
        fail(count + 1, "run " + runId + " ends at event " + count + " but its head records event " + headSeq
            + ": the journal was cut off or its head was changed");
      }
      if (problem == null && headSeq < 0 && count > 0) {
        fail(1, "run " + runId + " has events but no head row");
      }
      if (problem == null && headSeq >= 0 && keyed() && !head(runId, headSeq, headHash).equals(headMac)) {
        fail(count + 1, "the head row of run " + runId + " (event " + headSeq + ") does not carry the journal key's"
            + " MAC: it was re-pointed (events after it cut off?) or written without the key");
      }
      return problem;
    }

    long events() {
      return expected - 1;
    }

    long firstBad() {
      return firstBad;
    }
  }

  /** Checks the chain of {@code runId}, reading its head row and events once. */
  JournalVerification verify(Session s, String runId) {
    if (!canChain()) {
      return JournalVerification.cannot(runId, "run " + runId + " cannot be verified here: the journal is keyed (key "
          + keyId + ") and was opened without its key");
    }
    s.lock.lock();
    try {
      long headSeq;
      String headHash;
      String headMac;
      try (PreparedStatement h = s.connection.prepareStatement(
          "SELECT last_seq, last_hash, head_mac FROM rb4j_runs WHERE run_id = ?")) {
        h.setString(1, runId);
        try (ResultSet rs = h.executeQuery()) {
          if (!rs.next()) {
            s.commit();
            return JournalVerification.bad(runId, 0, 0, "run " + runId + " is not in the journal", keyed());
          }
          headSeq = rs.getLong(1);
          headHash = rs.getString(2);
          headMac = rs.getString(3);
        }
      }
      Checker c = new Checker(runId);
      try (PreparedStatement q = s.connection.prepareStatement(
          "SELECT seq, body, hash FROM rb4j_events WHERE run_id = ? ORDER BY seq")) {
        q.setString(1, runId);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            c.next(rs.getLong(1), rs.getString(2), rs.getString(3));
          }
        }
      }
      s.commit();
      String problem = c.finish(headSeq, headHash, headMac);
      return problem == null ? JournalVerification.ok(runId, c.events(), keyed())
          : JournalVerification.bad(runId, c.events(), c.firstBad(), problem, keyed());
    } catch (SQLException e) {
      s.rollbackQuietly();
      throw new JournalException(s.where() + " could not verify run " + runId + ": " + e.getMessage(), e);
    } finally {
      s.lock.unlock();
    }
  }
}
