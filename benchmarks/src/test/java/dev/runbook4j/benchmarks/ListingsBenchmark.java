package dev.runbook4j.benchmarks;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.EventCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code runbook4j status} (the latest 20 runs) and {@code runbook4j resume --all} (nothing left to
 * resume) on SQLite journals of 1,000 and 100,000 finished runs, each a whole cold process, median
 * of 5, beside the same jar printing its version (the JVM's start) measured in the same run. The
 * target: an answer in under 1 s beyond the JVM's start, on 100,000 runs as on 1,000.
 *
 * <p>The journals are written row by row as the journal's schema keeps them (a head row and two
 * hash-chained events per run: what an engine writes for a run that started and finished), which
 * takes seconds where running 100,000 runs would take minutes; {@code runbook4j verify} of a run
 * checks that they read as the journal's own. Needs the shaded jar:
 * {@code ./mvnw -q -pl cli -am package -DskipTests}.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:exec@all -Dbenchmarks=Listings</pre>
 */
public final class ListingsBenchmark {
  private ListingsBenchmark() {}

  static String chain(MessageDigest md, String prev, long seq, String json) {
    md.update(prev.getBytes(StandardCharsets.US_ASCII));
    md.update((byte) '\n');
    md.update(Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
    md.update((byte) '\n');
    return HexFormat.of().formatHex(md.digest(json.getBytes(StandardCharsets.UTF_8)));
  }

  /** A SQLite journal of {@code n} finished runs, written directly. */
  static void generate(int n, Path db) throws Exception {
    JdbcJournal.sqlite(db).close();   // the schema, as the journal makes it
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      c.setAutoCommit(false);
      try (PreparedStatement runs = c.prepareStatement("INSERT INTO rb4j_runs (run_id, created, last_seq, last_hash,"
              + " runbook, owner, lease_until, finished) VALUES (?, ?, 2, ?, 'bulk', NULL, NULL, 1)");
          PreparedStatement events = c.prepareStatement("INSERT INTO rb4j_events (run_id, seq, type, at, body, hash)"
              + " VALUES (?, ?, ?, ?, ?, ?)")) {
        Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 1; i <= n; i++) {
          String id = "run-" + i;
          Instant at = t0.plusSeconds(i);
          String started = EventCodec.write(new RunEvent.RunStarted(id, "bulk", "ab".repeat(32), "dave", "{}", at));
          String finished = EventCodec.write(new RunEvent.RunFinished(id, RunState.SUCCEEDED, "done", at.plusSeconds(1)));
          String h1 = chain(md, "0".repeat(64), 1, started);
          String h2 = chain(md, h1, 2, finished);
          add(events, id, 1, "RunStarted", at, started, h1);
          add(events, id, 2, "RunFinished", at.plusSeconds(1), finished, h2);
          runs.setString(1, id);
          runs.setLong(2, i);
          runs.setString(3, h2);
          runs.addBatch();
          if (i % 5000 == 0) {
            events.executeBatch();
            runs.executeBatch();
          }
        }
        events.executeBatch();
        runs.executeBatch();
      }
      c.commit();
    }
  }

  private static void add(PreparedStatement ps, String id, long seq, String type, Instant at, String body, String hash)
      throws Exception {
    ps.setString(1, id);
    ps.setLong(2, seq);
    ps.setString(3, type);
    ps.setString(4, at.toString());
    ps.setString(5, body);
    ps.setString(6, hash);
    ps.addBatch();
  }

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(Files.exists(Path.of("cli/target/runbook4j.jar")) ? "cli/target/runbook4j.jar"
        : "../cli/target/runbook4j.jar").toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: ./mvnw -q -pl cli -am package -DskipTests");
    }
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> base = List.of(javaBin, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar", jar.toString());
    Path dir = Files.createTempDirectory("runbook4j-listings");
    double start = ColdValidateBenchmark.medianSeconds(with(base, "--version"), 5);
    for (int n : new int[] {1_000, 100_000}) {
      Path db = dir.resolve("journal-" + n + ".db");
      generate(n, db);
      String url = "jdbc:sqlite:" + db;
      ColdValidateBenchmark.medianSeconds(with(base, "verify", "run-" + n, "--journal", url), 1);  // exits 0 only if it verifies
      double status = ColdValidateBenchmark.medianSeconds(with(base, "status", "--journal", url), 5);
      double resume = ColdValidateBenchmark.medianSeconds(with(base, "resume", "--all", "--journal", url), 5);
      System.out.printf("%,d finished runs: status %.2f s, resume --all %.2f s; the jar printing its version %.2f s%n",
          n, status, resume, start);
      for (String[] row : new String[][] {{"status", String.valueOf(status)}, {"resume --all", String.valueOf(resume)}}) {
        double t = Double.parseDouble(row[1]);
        Summary.row("Listings", "'runbook4j " + row[0] + "' on " + String.format("%,d", n) + " finished runs (SQLite),"
            + " cold process", String.format("%.2f s", t), String.format("the jar printing its version %.2f s", start),
            t / start, Summary.atMost(t - start, 1, "< 1 s beyond the JVM's start"));
      }
    }
    System.exit(0);
  }

  private static List<String> with(List<String> base, String... args) {
    List<String> cmd = new ArrayList<>(base);
    cmd.addAll(List.of(args));
    return cmd;
  }
}
