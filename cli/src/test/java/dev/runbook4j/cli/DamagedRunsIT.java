package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar in child processes: one run's damaged event leaves every other run served —
 * {@code status} lists them and names the damaged one, {@code resume --all} resumes them and skips
 * it, naming it.
 */
class DamagedRunsIT {
  @TempDir
  Path dir;

  private Cli.Result cli(String... args) throws Exception {
    return new Cli(dir).run(args);
  }

  @Test
  void oneRunsDamagedEventLeavesStatusAndResumeAllServingTheOthers() throws Exception {
    Files.writeString(dir.resolve("gated.runbook.groovy"), """
        runbook('gated') {
          step('stage') { action { ctx -> 'staged' }; compensate { ctx, out -> } }
          gate('approval') { approval { approvers 'alice' } }
          step('after') { action { ctx -> 'after' }; readOnly() }
        }
        """);
    for (String id : new String[] {"healthy", "damaged", "headless"}) {
      assertThat(cli("run", "gated.runbook.groovy", "--run-id", id, "--detach").code()).isEqualTo(4);
      assertThat(cli("approve", id, "approval", "--as", "alice").code()).isZero();
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(".runbook4j/journal.db"));
        PreparedStatement u = c.prepareStatement("UPDATE rb4j_events SET body = ? WHERE run_id = ? AND seq = 2")) {
      u.setString(1, "{\"type\":\"StepStarted\",\"runId\":");  // a torn write
      u.setString(2, "damaged");
      assertThat(u.executeUpdate()).isEqualTo(1);
      try (PreparedStatement d = c.prepareStatement("DELETE FROM rb4j_runs WHERE run_id = 'headless'")) {
        assertThat(d.executeUpdate()).isEqualTo(1);  // its head row gone: it used to vanish from status
      }
    }
    Cli.Result status = cli("status");
    assertThat(status.code()).as(status.both()).isEqualTo(1);
    assertThat(status.out()).contains("healthy  gated  ");
    assertThat(status.out() + status.err()).contains("damaged  DAMAGED  Event 2 of run damaged cannot be read",
        "headless  DAMAGED  run headless has events but no head row");
    Cli.Result json = cli("status", "--json");
    assertThat(json.out()).contains("\"runId\":\"healthy\"", "\"state\":\"DAMAGED\"");
    Cli.Result all = cli("resume", "--all");
    assertThat(all.code()).as(all.both()).isEqualTo(1);
    assertThat(all.out()).contains("run healthy", "ended SUCCEEDED");
    assertThat(all.err()).contains("run damaged not resumed", "run headless not resumed");
    assertThat(cli("status", "healthy").out()).contains("SUCCEEDED");
  }
}
