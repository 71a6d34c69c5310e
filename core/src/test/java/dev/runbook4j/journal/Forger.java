package dev.runbook4j.journal;

import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.EventCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;

/**
 * What someone who can write a journal's database but has not its key does: appends events to a
 * run, chained the only way they can (SHA-256, as an unkeyed journal chains them), and points the
 * run's head row at the last, reading the head and writing in one transaction.
 */
public final class Forger {
  private Forger() {}

  public static void append(Connection c, String runId, List<RunEvent> events) throws Exception {
    boolean sqlite = c.getMetaData().getURL().startsWith("jdbc:sqlite:");
    try (Statement st = c.createStatement()) {
      st.execute(sqlite ? "BEGIN IMMEDIATE" : "BEGIN");  // the run may still be writing: read and append at once
    }
    long seq;
    String prev;
    try (PreparedStatement q = c.prepareStatement("SELECT last_seq, last_hash FROM rb4j_runs WHERE run_id = ?")) {
      q.setString(1, runId);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("no run " + runId);
        }
        seq = rs.getLong(1);
        prev = rs.getString(2);
      }
    }
    for (RunEvent e : events) {
      String json = EventCodec.write(e);
      seq++;
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update((prev + "\n" + seq + "\n").getBytes(StandardCharsets.US_ASCII));
      prev = HexFormat.of().formatHex(md.digest(json.getBytes(StandardCharsets.UTF_8)));
      try (PreparedStatement i = c.prepareStatement(
          "INSERT INTO rb4j_events (run_id, seq, type, at, body, hash) VALUES (?, ?, ?, ?, ?, ?)")) {
        i.setString(1, runId);
        i.setLong(2, seq);
        i.setString(3, e.getClass().getSimpleName());
        i.setString(4, e.at().toString());
        i.setString(5, json);
        i.setString(6, prev);
        i.executeUpdate();
      }
    }
    try (PreparedStatement u = c.prepareStatement("UPDATE rb4j_runs SET last_seq = ?, last_hash = ? WHERE run_id = ?")) {
      u.setLong(1, seq);
      u.setString(2, prev);
      u.setString(3, runId);
      u.executeUpdate();
    }
    try (Statement st = c.createStatement()) {
      st.execute("COMMIT");
    }
  }
}
