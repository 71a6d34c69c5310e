package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@code onFailure} by the error that failed the step: rules asked in order, journaled, kept on resume. */
class FailureRoutingTests {
  static final class QuotaExceeded extends RuntimeException {
    QuotaExceeded() {
      super("quota of 100 instances reached");
    }
  }

  private static Runbook<Void> routed(Harness h, RuntimeException error) {
    return Runbook.builder("routed")
        .step("a", h.effect("a"))
        // tag::rules[]
        .step("warm", s -> s.action(ctx -> {
          h.effects.add("do:warm");
          throw error;
        }).compensate((ctx, out) -> h.effects.add("undo:warm"))
            .onFailure(QuotaExceeded.class, OnFailure.ABORT)
            .onFailure(IOException.class, OnFailure.CONTINUE)
            .onFailure(new FailureRule("a message about the cache", e -> String.valueOf(e.getMessage()).contains("cache"),
                OnFailure.CONTINUE)))
        // end::rules[]
        .step("b", h.effect("b"))
        .build();
  }

  @Test
  void anErrorThatMatchesNoRuleTakesTheStepsOwnOnFailure() {
    try (Harness h = new Harness()) {
      RunResult r = h.engine.run(routed(h, new IllegalStateException("broken")), null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("warm", "a");
      assertThat(h.events(r.runId(), RunEvent.FailureRouted.class)).isEmpty();
    }
  }

  @Test
  void aRuleByTypeAbortsAndIsJournaledBeforeTheFailure() {
    try (Harness h = new Harness()) {
      RunResult r = h.engine.run(routed(h, new QuotaExceeded()), null);
      assertThat(r.state()).isEqualTo(RunState.ABORTED);
      assertThat(h.effects).containsExactly("do:a", "do:warm");
      assertThat(h.events(r.runId(), RunEvent.FailureRouted.class)).singleElement().satisfies(e -> {
        assertThat(e.route()).isEqualTo(OnFailure.ABORT);
        assertThat(e.rule()).isEqualTo("QuotaExceeded");
        assertThat(e.attempt()).isEqualTo(1);
      });
    }
  }

  @Test
  void aRuleByTypeMatchesACauseToo() {
    try (Harness h = new Harness()) {
      RunResult r = h.engine.run(routed(h, new UncheckedIOException(new IOException("socket closed"))), null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:a", "do:warm", "do:b");
      assertThat(h.events(r.runId(), RunEvent.StepFailureIgnored.class)).hasSize(1);
    }
  }

  @Test
  void aRuleByPredicateRoutesWhatItMatches() {
    try (Harness h = new Harness()) {
      RunResult r = h.engine.run(routed(h, new IllegalStateException("cache warm-up failed")), null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.events(r.runId(), RunEvent.FailureRouted.class).get(0).rule()).isEqualTo("a message about the cache");
    }
  }

  @Test
  void aTimeoutIsRoutedByItsOwnType() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("slow")
          .step("probe", s -> s.action(ctx -> {
            ctx.sleep(Duration.ofMinutes(10));
            return null;
          }).readOnly().timeout(Duration.ofMinutes(1)).onFailure(StepTimeoutException.class, OnFailure.CONTINUE))
          .step("b", h.effect("b"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:b");
    }
  }

  @Test
  void aRunRebuiltFromItsJournalRoutesTheFailureAsItWasRouted() {
    dev.runbook4j.journal.InMemoryJournal inner = new dev.runbook4j.journal.InMemoryJournal();
    AtomicBoolean full = new AtomicBoolean();
    // the disk fills up right after the routed failure was journaled: the run pauses, is rebuilt from
    // its journal, and must go on as the rule said (continue), not as the step's own onFailure (rollback)
    dev.runbook4j.journal.FaultInjectingJournal failing = dev.runbook4j.journal.FaultInjectingJournal.wrap(inner)
        .failWrites(e -> full.get() || (e instanceof RunEvent.StepFailureIgnored && full.compareAndSet(false, true)));
    try (Harness h = new Harness(b -> b.journal(failing))) {
      RunHandle handle = h.engine.start(routed(h, new UncheckedIOException(new IOException("reset"))), null,
          RunOptions.defaults());
      h.time.runUntilIdle();
      failing.heal();
      h.time.advance(Duration.ofMinutes(5));
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:a", "do:warm", "do:b");
    }
  }

  @Test
  void thePlanShowsTheRules() {
    try (Harness h = new Harness()) {
      assertThat(Plan.of(routed(h, new IllegalStateException()), null).toText()).contains(
          "failureRules: abort on QuotaExceeded, continue on IOException, continue on a message about the cache");
    }
  }
}
