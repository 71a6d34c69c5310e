package dev.runbook4j.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.examples.readme.Tour.Release;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's and the guide's snippets with a durable journal: a resume on SQLite, and runners
 * on a real PostgreSQL. These runs only start and park at the approval, so real time is enough.
 */
class DurableTourTests {
  final FakeFleet fleet = new FakeFleet("1.4.1");
  final Tour tour = new Tour(fleet);
  final Runbook<Release> release = tour.release;

  @TempDir
  Path dir;

  RunResult resume(Path journalFile, String runId) {
    // tag::resume[]
    try (JdbcJournal journal = JdbcJournal.sqlite(journalFile);   // .runbook4j/journal.db, or JdbcJournal.open("jdbc:postgresql://...")
         RunbookEngine engine = RunbookEngine.builder().journal(journal).build()) {
      RunResult r = engine.resume(runId, release).await();
    // end::resume[]
      return r;
    // tag::resume[]
    }
    // end::resume[]
  }

  @Test
  void aRunParkedByOneEngineIsResumedByTheNext() {
    Path journalFile = dir.resolve("journal.db");
    String runId;
    try (JdbcJournal journal = JdbcJournal.sqlite(journalFile);
         RunbookEngine engine = RunbookEngine.builder().journal(journal).build()) {
      RunResult first = engine.run(release, new Release("1.4.2"), RunOptions.defaults().withRequester("dave"));
      assertThat(first.isParked()).isTrue();
      runId = first.runId();
    }
    RunResult again = resume(journalFile, runId);
    assertThat(again.isParked()).as("still at the approval, after the deploy").isTrue();
    assertThat(fleet.installed()).contains("1.4.2");
  }

  /** The README's runner on PostgreSQL. */
  RunResult readmeRunner(String url, String user, String password) {
    // tag::postgres-runner[]
    JdbcJournal journal = JdbcJournal.builder(url).credentials(user, password)    // url: jdbc:postgresql://db/runbooks
        .runner("deployer-1").leaseTtl(Duration.ofSeconds(30)).build();
    RunbookEngine engine = RunbookEngine.builder().journal(journal).runbooks(release).build();  // may take over runs of 'release'
    // end::postgres-runner[]
    try (journal; engine) {
      return engine.run(release, new Release("1.4.2"), RunOptions.defaults().withRequester("dave"));
    }
  }

  /** The guide's named runner, deciding on two runbooks. */
  dev.runbook4j.RunStatus guideRunner(String url, String user, String password, String host, String parkedRun) {
    Runbook<Release> canaryRelease = release;
    Runbook<Void> dbMigration = Runbook.builder("db-migration")
        .step("migrate", s -> s.perform(ctx -> tour.db.migrate()).irreversible())
        .build();
    // tag::postgres-named-runner[]
    JdbcJournal journal = JdbcJournal.builder(url).credentials(user, password)
        .runner("deployer-" + host).leaseTtl(Duration.ofSeconds(30)).build();
    RunbookEngine engine = RunbookEngine.builder().journal(journal)
        .runbooks(canaryRelease, dbMigration)   // what this runner decides on, and may take over
        .build();
    // end::postgres-named-runner[]
    try (journal; engine) {
      assertThat(engine.run(dbMigration, null).state()).isEqualTo(dev.runbook4j.RunState.SUCCEEDED);
      return engine.status(parkedRun);
    }
  }

  @Test
  @Tag("slow")
  void runnersOnPostgresStartRunsThatParkAtTheApproval() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      String url = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
      RunResult first = readmeRunner(url, "postgres", "");
      assertThat(first.isParked()).isTrue();
      dev.runbook4j.RunStatus parked = guideRunner(url, "postgres", "", "build-7", first.runId());
      assertThat(parked.state()).isEqualTo(dev.runbook4j.RunState.AWAITING_APPROVAL);
      assertThat(tour.db.migrations).containsExactly("v2");
      assertThat(fleet.installed()).contains("1.4.2");
    }
  }
}
