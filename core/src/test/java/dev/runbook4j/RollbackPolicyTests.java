package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A compensation's own policy: stop the rollback where it fails, and a timeout of its own. */
class RollbackPolicyTests {

  /** A step that logs do:/undo:, whose undo fails when {@code undoFails} and says what a failure does. */
  private static Runbook.Builder<Void> step(Runbook.Builder<Void> b, String name, List<String> log, boolean undoFails,
      OnCompensationFailure onFailure) {
    return b.step(name, s -> s.action(ctx -> log.add("do:" + name))
        .compensate((ctx, out) -> {
          log.add("undo:" + name);
          if (undoFails) {
            throw new IllegalStateException("refund service down");
          }
        }, RetrySpec.builder().maxAttempts(2).backoff(Duration.ofSeconds(5)).build())
        .onCompensationFailure(onFailure));
  }

  private static Runbook<Void> saga(List<String> log, OnCompensationFailure refund) {
    Runbook.Builder<Void> b = Runbook.builder("saga");
    step(b, "reserve", log, false, OnCompensationFailure.CONTINUE);
    step(b, "charge", log, true, refund);
    step(b, "ship", log, false, OnCompensationFailure.CONTINUE);
    return b.step("confirm", s -> s.action(ctx -> {
      throw new IllegalStateException("carrier rejected the parcel");
    }).readOnly()).build();
  }

  @Test
  void aFailedCompensationThatSaysStopEndsTheRollbackThereAndNamesWhatWasNotAttempted() {
    try (Harness h = new Harness()) {
      List<String> log = new CopyOnWriteArrayList<>();
      RunResult r = h.engine.run(saga(log, OnCompensationFailure.STOP), null);
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      // ship is undone, charge's undo fails twice (its retries), and reserve is left alone
      assertThat(log).containsExactly("do:reserve", "do:charge", "do:ship", "undo:ship", "undo:charge", "undo:charge");
      assertThat(r.compensated()).containsExactly("ship");
      assertThat(r.compensationFailed()).containsExactly("charge");
      assertThat(h.events(r.runId(), RunEvent.RollbackStopped.class)).singleElement().satisfies(e -> {
        assertThat(e.stepId()).isEqualTo("charge");
        assertThat(e.notAttempted()).containsExactly("reserve");
      });
      CompensationFailedException cf = (CompensationFailedException) java.util.Arrays.stream(
          r.failure().orElseThrow().getSuppressed()).filter(CompensationFailedException.class::isInstance)
          .findFirst().orElseThrow();
      assertThat(cf.notAttempted()).containsExactly("reserve");
      assertThat(cf).hasMessageContaining("compensation failed for 'charge'; undone: 'ship'; stopped there, not"
          + " attempted: 'reserve'");
      assertThat(h.events(r.runId(), RunEvent.RunFinished.class).get(0).summary())
          .isEqualTo("rollback failed for [charge]; undone [ship]; stopped there, not attempted [reserve]");
    }
  }

  @Test
  void byDefaultAFailedCompensationLetsTheRollbackGoOn() {
    try (Harness h = new Harness()) {
      List<String> log = new CopyOnWriteArrayList<>();
      RunResult r = h.engine.run(saga(log, OnCompensationFailure.CONTINUE), null);
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      assertThat(r.compensated()).containsExactly("ship", "reserve");
      assertThat(h.events(r.runId(), RunEvent.RollbackStopped.class)).isEmpty();
    }
  }

  @Test
  void aRollbackResumedAfterARestartStillStopsAtTheCompensationThatFails() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    List<String> log = new CopyOnWriteArrayList<>();
    AtomicBoolean hang = new AtomicBoolean(true);
    Runbook.Builder<Void> b = Runbook.builder("stopped");
    step(b, "reserve", log, false, OnCompensationFailure.CONTINUE);
    step(b, "charge", log, true, OnCompensationFailure.STOP);
    Runbook<Void> rb = b.step("wait-for-parcel", s -> s.action(ctx -> {
      if (hang.get()) {
        throw new IllegalStateException("no parcel");
      }
      return null;
    }).readOnly()).build();
    try (RunbookEngine first = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      first.start(rb, null, RunOptions.defaults().withRunId("stopped-1"));
      time.runUntilIdle();  // charge's first undo failed; its retry waits 5 s: the process dies
    }
    try (RunbookEngine second = RunbookEngine.builder().journal(journal).virtualTime(time).build()) {
      RunResult r = second.resume("stopped-1", rb).await();
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      assertThat(log).doesNotContain("undo:reserve");
      assertThat(journal.read("stopped-1")).filteredOn(RunEvent.RollbackStopped.class::isInstance).hasSize(1);
    }
  }

  @Test
  void aCompensationTimesOutByItsOwnTimeoutNotTheSteps() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("slow-undo")
          .step("scale", s -> s.action(ctx -> "scaled").timeout(Duration.ofHours(1))
              .compensate((ctx, out) -> ctx.sleep(Duration.ofMinutes(10)), RetrySpec.none())
              .compensationTimeout(Duration.ofMinutes(2)))
          .step("fail", s -> s.action(ctx -> {
            throw new IllegalStateException("boom");
          }).readOnly())
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      assertThat(h.events(r.runId(), RunEvent.CompensationFailed.class)).singleElement()
          .satisfies(e -> assertThat(e.error()).contains("timed out after 2m"));
      assertThat(Plan.of(rb, null).toText()).contains("compensationTimeout: 2m");
    }
  }

  @Test
  void aPolicyForACompensationTheStepDoesNotHaveIsADefinitionError() {
    assertThatThrownBy(() -> Runbook.builder("bad")
        .step("read", s -> s.action(ctx -> 1).readOnly().onCompensationFailure(OnCompensationFailure.STOP))
        .build())
        .isInstanceOf(RunbookDefinitionException.class)
        .hasMessageContaining("step 'read' sets how its compensation is run but has none (it is readOnly())");
  }

  @Test
  void thePlanShowsACompensationThatStopsTheRollback() {
    List<String> log = new CopyOnWriteArrayList<>();
    assertThat(Plan.of(saga(log, OnCompensationFailure.STOP), null).toText())
        .contains("onCompensationFailure: stop the rollback");
  }
}
