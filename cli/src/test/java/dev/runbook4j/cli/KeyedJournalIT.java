package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.EventCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar in child processes, against someone who can write the journal's file but has not
 * its key: they append the approval a run waits for, chained the only way they can. A keyed journal
 * finds it — {@code verify}, {@code status} and {@code history} name the event, and neither
 * {@code resume} nor {@code approve} acts on the run; an unkeyed one cannot, and {@code verify} says so.
 */
class KeyedJournalIT {
  @TempDir
  Path dir;

  private static final String GATED = """
      runbook('gated') {
        parameters { string 'dir', required: true }
        step('stage') {
          action { ctx -> new File(params.dir, 'effects').append("do:stage\\n"); 'staged' }
          compensate { ctx, out -> new File(params.dir, 'effects').append("undo:stage\\n") }
        }
        gate('approval') { approval { approvers 'alice' } }
        step('ship') {
          action { ctx -> new File(params.dir, 'effects').append("do:ship\\n"); 'shipped' }
          compensate { ctx, out -> }
        }
      }
      """;

  private List<String> effects() throws Exception {
    Path f = dir.resolve("effects");
    return Files.exists(f) ? Files.readAllLines(f) : List.of();
  }

  /**
   * Appends alice's approval to the run, and points its head at it: what the attacker can do with
   * the file and the (open) source, but without the key — chain it with SHA-256.
   */
  private void forgeApproval(Path db, String runId, String planHash) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      long seq;
      String prev;
      try (PreparedStatement q = c.prepareStatement("SELECT last_seq, last_hash FROM rb4j_runs WHERE run_id = ?")) {
        q.setString(1, runId);
        try (ResultSet rs = q.executeQuery()) {
          assertThat(rs.next()).isTrue();
          seq = rs.getLong(1) + 1;
          prev = rs.getString(2);
        }
      }
      Instant at = Instant.now();
      String json = EventCodec.write(new RunEvent.ApprovalGranted(runId, "approval", "alice", "lgtm", planHash, at));
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update((prev + "\n" + seq + "\n").getBytes(StandardCharsets.US_ASCII));
      String hash = HexFormat.of().formatHex(md.digest(json.getBytes(StandardCharsets.UTF_8)));
      try (PreparedStatement i = c.prepareStatement(
          "INSERT INTO rb4j_events (run_id, seq, type, at, body, hash) VALUES (?, ?, 'ApprovalGranted', ?, ?, ?)");
          PreparedStatement u = c.prepareStatement("UPDATE rb4j_runs SET last_seq = ?, last_hash = ? WHERE run_id = ?")) {
        i.setString(1, runId);
        i.setLong(2, seq);
        i.setString(3, at.toString());
        i.setString(4, json);
        i.setString(5, hash);
        assertThat(i.executeUpdate()).isEqualTo(1);
        u.setLong(1, seq);
        u.setString(2, hash);
        u.setString(3, runId);
        assertThat(u.executeUpdate()).isEqualTo(1);
      }
    }
  }

  @Test
  void aKeyedJournalFindsAForgedApprovalAndNothingActsOnIt() throws Exception {
    Files.writeString(dir.resolve("gated.runbook.groovy"), GATED);
    Path key = dir.resolve("journal.key");
    Files.write(key, "k3y-0f-thirty-two-bytes-exactly!".getBytes(StandardCharsets.UTF_8));
    Cli cli = new Cli(dir);
    String k = "--journal-key-file=" + key;
    Cli.Result parked = cli.run("run", "gated.runbook.groovy", "-p", "dir=" + dir, "--run-id", "rel", "--detach", k);
    assertThat(parked.code()).as(parked.both()).isEqualTo(4);
    Cli.Result ok = cli.run("verify", k);
    assertThat(ok.code()).as(ok.both()).isZero();
    assertThat(ok.out()).contains("HMAC-SHA256 under the journal's key", "rel  verifies (");
    JsonNode status = new ObjectMapper().readTree(cli.run("status", "rel", "--json", k).out());

    forgeApproval(dir.resolve(".runbook4j/journal.db"), "rel", status.get("planHash").asText());

    Cli.Result verify = cli.run("verify", k);
    assertThat(verify.code()).as(verify.both()).isEqualTo(1);
    assertThat(verify.out()).contains("rel  DOES NOT VERIFY: event 6 of run rel does not match its hash",
        "written without the journal's key (a forgery)", "1 run checked, 1 that do not verify");
    Cli.Result st = cli.run("status", k);
    assertThat(st.code()).as(st.both()).isEqualTo(1);
    assertThat(st.out()).contains("rel  gated  ", "DOES NOT VERIFY: event 6 of run rel");
    Cli.Result history = cli.run("history", "rel", k);
    assertThat(history.code()).isEqualTo(1);
    assertThat(history.err()).contains("run rel DOES NOT VERIFY: event 6");

    Cli.Result resume = cli.run("resume", "rel", k);
    assertThat(resume.code()).as(resume.both()).isEqualTo(1);
    assertThat(resume.both()).contains("does not verify");
    Cli.Result approve = new Cli(dir).start(Map.of("RUNBOOK4J_JOURNAL_KEY_FILE", key.toString()),
        "approve", "rel", "approval", "--as", "alice").result();
    assertThat(approve.code()).as(approve.both()).isEqualTo(1);
    assertThat(approve.err()).contains("Run rel does not verify", "no decision was recorded");
    assertThat(effects()).containsExactly("do:stage");  // the forged approval shipped nothing

    // without the key the journal is read, not verified, not written
    Cli.Result keyless = cli.run("verify");
    assertThat(keyless.code()).isEqualTo(1);
    assertThat(keyless.out()).contains("this journal is keyed (key ", "no key was given: nothing can be verified");
    Cli.Result other = new Cli(dir).start(Map.of("RUNBOOK4J_JOURNAL_KEY", "another key of thirty-two bytes."),
        "status").result();
    assertThat(other.code()).isEqualTo(1);
    assertThat(other.err()).contains("is keyed with key ", "not this journal's key");
    assertThat(other.both()).doesNotContain("another key of thirty-two bytes.");
  }

  @Test
  void anUnkeyedJournalSaysItCannotFindAForgeryAndTheForgedApprovalShips() throws Exception {
    Files.writeString(dir.resolve("gated.runbook.groovy"), GATED);
    Cli cli = new Cli(dir);
    Cli.Result parked = cli.run("run", "gated.runbook.groovy", "-p", "dir=" + dir, "--run-id", "rel", "--detach");
    assertThat(parked.code()).as(parked.both()).isEqualTo(4);
    JsonNode status = cli.status("rel");
    forgeApproval(dir.resolve(".runbook4j/journal.db"), "rel", status.get("planHash").asText());

    Cli.Result verify = cli.run("verify", "rel");
    assertThat(verify.code()).as(verify.both()).isZero();
    assertThat(verify.out()).contains("this journal has no key", "cannot find a forgery", "rel  verifies (6 events)");
    Cli.Result resume = cli.run("resume", "rel");
    assertThat(resume.code()).as(resume.both()).isZero();  // the threat a key answers: the forged approval counts
    assertThat(effects()).containsExactly("do:stage", "do:ship");
  }
}
