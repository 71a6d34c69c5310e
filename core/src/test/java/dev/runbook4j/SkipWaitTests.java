package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.VirtualTime;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A wait a person ends before its time: a journaled decision, by the rules of an approval. */
class SkipWaitTests {
  @TempDir
  Path dir;

  private static Runbook<Void> baked(Harness h) {
    return Runbook.builder("baked")
        .watch("errors", Duration.ofMinutes(1), ctx -> Health.healthy())
        .step("a", h.effect("a"))
        .bake("soak", Duration.ofHours(4), w -> w.skippableBy(a -> a.approvers("oncall")))
        .sleep("cool", Duration.ofHours(1))
        .step("b", h.effect("b"))
        .build();
  }

  @Test
  void anAuthorisedPersonEndsABakeAndTheRunGoesOnFromIt() {
    try (Harness h = new Harness()) {
      Instant t0 = h.time.now();
      RunHandle handle = h.engine.start(baked(h), null, RunOptions.defaults().withRequester("dev"));
      h.time.advance(Duration.ofMinutes(30));
      h.engine.skipWait(handle.runId(), "soak", "oncall", "error rate flat for 30 minutes");
      h.time.advance(Duration.ofHours(1));
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofMinutes(90));
      assertThat(h.events(r.runId(), RunEvent.WaitSkipped.class)).singleElement().satisfies(e -> {
        assertThat(e.by()).isEqualTo("oncall");
        assertThat(e.reason()).isEqualTo("error rate flat for 30 minutes");
      });
      assertThat(Plan.of(baked(h), null).toText()).contains("skippableBy: 1 of [oncall]");
    }
  }

  @Test
  void aSkipIsRefusedForTheWrongPersonTheRequesterAWaitThatSaysNothingAndOneNotGoingOn() {
    try (Harness h = new Harness()) {
      RunHandle handle = h.engine.start(baked(h), null, RunOptions.defaults().withRequester("dev"));
      h.time.advance(Duration.ofMinutes(5));
      assertThatThrownBy(() -> h.engine.skipWait(handle.runId(), "soak", "mallory", null))
          .isInstanceOf(ApprovalException.class).hasMessageContaining("User 'mallory' may not skip wait 'soak'");
      assertThatThrownBy(() -> h.engine.skipWait(handle.runId(), "soak", "dev", null))
          .isInstanceOf(ApprovalException.class).hasMessageContaining("requested run");
      assertThatThrownBy(() -> h.engine.skipWait(handle.runId(), "cool", "oncall", null))
          .isInstanceOf(ApprovalException.class).hasMessageContaining("cannot be skipped: it names no skippableBy");
      assertThat(h.events(handle.runId(), RunEvent.WaitSkipped.class)).isEmpty();
    }
  }

  @Test
  void aSkipThroughAnotherEngineOnTheJournalReachesTheRunWhereItIsDriven() throws Exception {
    VirtualTime time = VirtualTime.create();
    Harness fx = new Harness();
    String url = "jdbc:sqlite:" + dir.resolve("journal.db");
    try (JdbcJournal journal = JdbcJournal.builder(url).build();
        JdbcJournal other = JdbcJournal.builder(url).build();
        RunbookEngine driver = RunbookEngine.builder().journal(journal).virtualTime(time)
            .heartbeat(Duration.ofSeconds(1)).build();
        RunbookEngine elsewhere = RunbookEngine.builder().journal(other).virtualTime(time).runbooks(baked(fx))
            .takeOverOrphans(false).build()) {
      RunHandle handle = driver.start(baked(fx), null, RunOptions.defaults().withRunId("s1").withRequester("dev"));
      time.advance(Duration.ofMinutes(10));
      elsewhere.skipWait("s1", "soak", "oncall", "looks good");
      time.advance(Duration.ofMinutes(61));  // the driver learns it at its next heartbeat, then the hour's sleep
      assertThat(handle.await().state()).isEqualTo(RunState.SUCCEEDED);
    } finally {
      fx.close();
    }
  }
}
