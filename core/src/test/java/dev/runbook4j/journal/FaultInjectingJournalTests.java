package dev.runbook4j.journal;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.journal.jdbc.JournalVerification;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class FaultInjectingJournalTests {
  private final VirtualTime time = VirtualTime.create();
  private final InMemoryJournal inner = new InMemoryJournal();
  private final FaultInjectingJournal journal = FaultInjectingJournal.wrap(inner);
  private final List<String> effects = new CopyOnWriteArrayList<>();

  private Runbook<Void> twoSteps() {
    return Runbook.builder("faulty")
        .step("a", s -> s.action(ctx -> effects.add("a")).compensate((c, o) -> effects.add("undo a")))
        .step("b", s -> s.action(ctx -> effects.add("b")).compensate((c, o) -> effects.add("undo b")))
        .build();
  }

  @Test
  void aWriteThatFailsRecordsNothingAndTheRunGoesOnOnceHealed() {
    journal.failWrites(e -> e instanceof RunEvent.StepStarted s && s.stepId().equals("b"));
    try (RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = engine.start(twoSteps(), null, RunOptions.defaults());
      assertThatThrownBy(h::await).isInstanceOf(JournalException.class).hasMessageContaining("Injected fault");
      assertThat(effects).containsExactly("a");
      journal.heal();
      time.advance(Duration.ofSeconds(5));
      assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(effects).containsExactly("a", "b");
    }
  }

  @Test
  void listenersHearAStoragePauseEachTryWithGrowingDelaysAndTheRecoveryOnce() throws InterruptedException {
    journal.failWrites(e -> e.runId().equals("paused") && !(e instanceof RunEvent.RunStarted)
        && !(e instanceof RunEvent.StepStarted s && s.stepId().equals("a")) && !(e instanceof RunEvent.StepSucceeded s
        && s.stepId().equals("a")));
    List<String> heard = new CopyOnWriteArrayList<>();
    java.util.concurrent.CountDownLatch firstPause = new java.util.concurrent.CountDownLatch(1);
    try (RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      engine.onEvent(new dev.runbook4j.RunListener() {
        @Override
        public void onEvent(RunEvent event) {}

        @Override
        public void onStoragePaused(StoragePause p) {
          heard.add("paused " + p.runId() + " try " + p.tries() + " next in "
              + Duration.between(time.now(), p.nextTry()) + ": " + p.problem());
          firstPause.countDown();
        }

        @Override
        public void onStorageRecovered(String runId) {
          heard.add("recovered " + runId);
        }
      });
      Instant t0 = time.now();
      RunHandle h = engine.start(twoSteps(), null, RunOptions.defaults().withRunId("paused"));
      assertThatThrownBy(h::await).isInstanceOf(JournalException.class);
      // the run's worker tells the listeners as it stops; await() may throw a moment before
      assertThat(firstPause.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(heard).singleElement().asString().startsWith("paused paused try 1 next in PT1S: ")
          .contains("Injected fault");
      time.advance(Duration.ofSeconds(1));  // the rebuild reads; its first write fails again
      time.advance(Duration.ofSeconds(2));
      assertThat(heard).hasSize(3);
      assertThat(heard.get(1)).startsWith("paused paused try 2 next in PT2S");
      assertThat(heard.get(2)).startsWith("paused paused try 3 next in PT4S");
      assertThat(effects).containsExactly("a");  // b's intent was never recorded: b was not called
      journal.heal();
      time.advance(Duration.ofSeconds(4));
      assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(heard).hasSize(4).last().isEqualTo("recovered paused");
      assertThat(effects).containsExactly("a", "b");
      assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofSeconds(7));
    }
  }

  @Test
  void aSyncThatFailsAfterTheWriteNeverLosesTheEventNorRepeatsACompletedStep() {
    journal.inject(e -> e instanceof RunEvent.StepSucceeded s && s.stepId().equals("a"), FaultInjectingJournal.Fault.SYNC_FAILS, 1);
    try (RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunHandle h = engine.start(twoSteps(), null, RunOptions.defaults());
      assertThatThrownBy(h::await).isInstanceOf(JournalException.class);
      time.advance(Duration.ofSeconds(5));
      RunResult r = h.await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      // the success of 'a' did reach the journal, so resume does not call 'a' again
      assertThat(effects).containsExactly("a", "b");
      assertThat(journal.injected()).isEqualTo(1);
    }
  }

  @Test
  void slowWritesTakeTheirTimeOnTheVirtualClock() {
    try (RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      Instant t0 = time.now();
      // RunStarted is written on the caller's thread, which drives virtual time and so must not sleep
      // on it: every write but that one is slowed
      Thread caller = Thread.currentThread();
      journal.slowWrites(Duration.ofMillis(200), d -> {
        if (Thread.currentThread() != caller) {
          time.sleep(d);
        }
      });
      RunHandle h = engine.start(twoSteps(), null, RunOptions.defaults());
      RunResult r = h.await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      int slowed = inner.read(r.runId()).size() - 1;
      assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofMillis(200L * slowed));
    }
  }

  @Test
  void aDecoratedJdbcJournalKeepsItsOptionalParts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    try (JdbcJournal jdbc = JdbcJournal.sqlite(dir.resolve("j.db"))) {
      FaultInjectingJournal wrapped = FaultInjectingJournal.wrap(jdbc);
      assertThat(wrapped.parkedRuns()).isPresent();
      assertThat(wrapped.leases()).isPresent();
      assertThat(wrapped.lockManager()).isPresent();
      wrapped.append(new RunEvent.RunStarted("open", "deploy", "ab".repeat(32), "alice", "{}", Instant.EPOCH));
      assertThat(wrapped.unfinishedRunIds()).containsExactly("open");
      assertThat(wrapped.problem("open")).isEmpty();
    }
  }
}
