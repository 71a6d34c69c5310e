package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunOptions;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar's {@code status} on a journal of 30 runs (written here by an engine in this JVM, as
 * an embedding program would): the latest 20 unless asked, filtered by runbook, state and start.
 */
class StatusListingIT {
  @TempDir
  Path dir;

  @Test
  void statusShowsTheLatestRunsAndFiltersByRunbookStateAndStart() throws Exception {
    Runbook<Void> alpha = Runbook.builder("alpha").step("a", s -> s.action(ctx -> "a").readOnly()).build();
    Runbook<Void> beta = Runbook.builder("beta").step("b", s -> s.action(ctx -> {
      if (ctx.runId().startsWith("beta-bad")) {
        throw new IllegalStateException("no");
      }
      return "b";
    }).compensate((ctx, out) -> { })).build();
    try (JdbcJournal j = JdbcJournal.sqlite(dir.resolve(".runbook4j/journal.db"));
        RunbookEngine engine = RunbookEngine.builder().journal(j).build()) {
      for (int i = 1; i <= 25; i++) {
        assertThat(engine.run(alpha, null, RunOptions.defaults().withRunId("alpha-" + i)).state())
            .isEqualTo(RunState.SUCCEEDED);
      }
      for (String id : List.of("beta-1", "beta-bad-1", "beta-2", "beta-bad-2", "beta-3")) {
        engine.run(beta, null, RunOptions.defaults().withRunId(id));
      }
    }
    Cli cli = new Cli(dir);
    Cli.Result latest = cli.run("status");
    assertThat(latest.code()).as(latest.both()).isZero();
    List<String> lines = latest.out().lines().toList();
    assertThat(lines).hasSize(21);
    assertThat(lines.get(0)).startsWith("alpha-11  alpha  SUCCEEDED");  // the 20 latest, oldest of them first
    assertThat(lines.get(19)).startsWith("beta-3  beta  SUCCEEDED");
    assertThat(lines.get(20)).isEqualTo("(the latest 20 of 30 runs; --all shows every one, --limit N more)");

    assertThat(cli.run("status", "--all").out().lines()).hasSize(30);
    assertThat(cli.run("status", "--limit", "3").out().lines()).hasSize(4).first().asString().startsWith("beta-2  ");
    Cli.Result betas = cli.run("status", "--runbook", "beta");
    assertThat(betas.out().lines()).hasSize(5).allMatch(l -> l.startsWith("beta-"));
    Cli.Result failed = cli.run("status", "--state", "ROLLED_BACK");
    assertThat(failed.out().lines()).containsExactly(
        "beta-bad-1  beta  ROLLED_BACK  Step 'b' of run beta-bad-1 (beta) failed after 1 attempt: IllegalStateException"
            + " (no); rolling back 1 started step",
        "beta-bad-2  beta  ROLLED_BACK  Step 'b' of run beta-bad-2 (beta) failed after 1 attempt: IllegalStateException"
            + " (no); rolling back 1 started step");
    assertThat(cli.run("status", "--since", "1h", "--all").out().lines()).hasSize(30);
    assertThat(cli.run("status", "--since", "2999-01-01T00:00:00Z").out()).isEmpty();
    Cli.Result bad = cli.run("status", "--since", "yesterday");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("--since takes a duration (2h, 7d) or an instant");
    Cli.Result history = cli.run("history");
    assertThat(history.out()).startsWith("Run beta-3, started ");
    Cli.Result resume = cli.run("resume", "--all");
    assertThat(resume.code()).as(resume.both()).isZero();
  }
}
