package dev.runbook4j.testing;

import static dev.runbook4j.testing.RunbookAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.runbook4j.RunbookEngine;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/** The JUnit 5 extensions, run through JUnit's own engine test kit on the fixture classes below. */
class ExtensionTests {

  @RunbookTest(seed = "42", start = "2026-03-02T09:00:00Z")
  static class KitFixture {
    @Test
    void partsOfOneKitAreInjected(RunbookTestKit kit, RunbookEngine engine, VirtualTime time, Faults faults,
        Journal journal) {
      assertThat(kit.engine()).isSameAs(engine);
      assertThat(kit.time()).isSameAs(time);
      assertThat(kit.faults()).isSameAs(faults);
      assertThat(kit.journal()).isSameAs(journal);
      assertThat(kit.seed()).isEqualTo(42);
      assertThat(time.now()).isEqualTo(Instant.parse("2026-03-02T09:00:00Z"));
    }

    @Test
    void aFailingTestPrintsItsRuns(RunbookTestKit kit) {
      kit.faults().failStep("shift-50");
      TestRun run = kit.run(Canary.runbook(new Canary.Alias()), null);
      assertThat(run).succeeded();
    }
  }

  static class ExploreFixture {
    final Canary.Alias alias = new Canary.Alias();

    Subject<Void> subject() {
      return Subject.of(Canary.runbook(alias), (Void) null);
    }

    @ExploreFailures(crashes = false)
    void everyPathRollsTheAliasBack(TestRun run, FailurePoint point) {
      if (run.rolledBack()) {
        assertThat(alias.pristine()).as("%s after %s", alias, point).isTrue();
      }
    }
  }

  static class BrokenFixture {
    final Canary.Alias alias = new Canary.Alias();

    Subject<Void> subject() {
      return Subject.of(Canary.runbook(alias, true), (Void) null)
          .whenRolledBack("nothing but v1 is published", alias::pristine);
    }

    @ExploreFailures(crashes = false, compensationFailures = false)
    void everyPathRollsTheAliasBack() {
    }
  }

  /** The items of its forEach shrink once a run has started (as a parallel branch's order may change). */
  static class ShrinkingFixture {
    static final java.util.concurrent.atomic.AtomicBoolean RAN = new java.util.concurrent.atomic.AtomicBoolean();

    static Subject<Void> shrinking() {
      return Subject.of(dev.runbook4j.Runbook.builder("shrinking")
          .forEach("hosts", r -> RAN.get() ? List.of("a") : List.of("a", "b"), 1, 0, b -> b
              .step("restart", s -> s.action(ctx -> RAN.getAndSet(true)).compensate((ctx, o) -> { })))
          .build(), (Void) null);
    }

    Subject<Void> subject() {
      return shrinking();
    }

    @ExploreFailures(crashes = false, compensationFailures = false)
    void explore() {
    }
  }

  static class StrictShrinkingFixture {
    Subject<Void> subject() {
      return ShrinkingFixture.shrinking();
    }

    @ExploreFailures(crashes = false, compensationFailures = false, strict = true)
    void explore() {
    }
  }

  @Test
  void aPathThatDoesNotReachItsFaultIsSkippedSayingSoOrFailsWhenStrict() {
    ShrinkingFixture.RAN.set(false);
    EngineExecutionResults results = run(ShrinkingFixture.class);
    List<Event> skipped = results.testEvents().aborted().list();
    assertThat(skipped).isNotEmpty().allSatisfy(e -> assertThat(e.getTestDescriptor().getDisplayName()).contains("hosts[b]"));
    Throwable why = skipped.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
        .getThrowable().orElseThrow();
    assertThat(why).hasMessageContaining("the run did not reach the fault of 'fail 'hosts[b]/restart'")
        .hasMessageContaining("so this path proves nothing about it");
    results.testEvents().assertStatistics(s -> s.failed(0));

    ShrinkingFixture.RAN.set(false);
    EngineExecutionResults strict = run(StrictShrinkingFixture.class);
    strict.testEvents().assertStatistics(s -> s.aborted(0).failed(skipped.size()));
  }

  static class NoSubjectFixture {
    @ExploreFailures("missing")
    void explore() {
    }
  }

  private static EngineExecutionResults run(Class<?> fixture) {
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture)).execute();
  }

  @Test
  void theKitAndItsPartsAreInjectedAndAFailurePrintsTheJournal() {
    EngineExecutionResults results = run(KitFixture.class);
    results.testEvents().assertStatistics(s -> s.started(2).succeeded(1).failed(1));
    Throwable failure = results.testEvents().failed().list().get(0)
        .getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
    assertThat(failure.getSuppressed()).hasSize(1);
    assertThat(failure.getSuppressed()[0].getMessage())
        .contains("seed 42")
        .contains("fail 'shift-50'")
        .contains("shift-50 #1: InjectedFault: injected by the test");
  }

  @Test
  void oneInvocationPerFailurePointEachNamedForWhatItProves() {
    EngineExecutionResults results = run(ExploreFixture.class);
    List<String> names = results.testEvents().started().list().stream()
        .map(e -> e.getTestDescriptor().getDisplayName()).toList();
    assertThat(names).contains("no fault → succeeds", "fail 'shift-50' by timeout → compensates shift-50, shift-10,"
        + " publish", "breach watch 'errors' during 'bake-100' → compensates shift-100, shift-50, shift-10, publish");
    assertThat(names).noneMatch(n -> n.startsWith("crash"));
    results.testEvents().assertStatistics(s -> s.failed(0).succeeded(names.size()));
  }

  @Test
  void theBrokenRunbooksFailingPathsFailByName() {
    EngineExecutionResults results = run(BrokenFixture.class);
    List<Event> failed = results.testEvents().failed().list();
    assertThat(failed).isNotEmpty();
    assertThat(failed.stream().map(e -> e.getTestDescriptor().getDisplayName()))
        .contains("fail 'publish' by timeout → compensates publish")
        .doesNotContain("no fault → succeeds", "fail 'publish' → compensates publish");
    Throwable t = failed.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
        .getThrowable().orElseThrow();
    assertThat(t).hasMessageContaining("The failure path does not hold: ")
        .hasMessageContaining("invariant 'nothing but v1 is published' does not hold");
  }

  @Test
  void aMissingSubjectMethodIsAConfigurationErrorNamingIt() {
    EngineExecutionResults results = run(NoSubjectFixture.class);
    Throwable t = results.allEvents().failed().list().get(0)
        .getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
    assertThat(t).hasMessageContaining("@ExploreFailures needs a method NoSubjectFixture.missing() without parameters"
        + " that returns the Subject to explore");
  }
}
