package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each kind of definition mistake gets one clear sentence; build() lists them all at once. */
class DefinitionErrorTests {

  private static List<String> problems(Runbook.Builder<?> b) {
    return catchThrowableOfType(RunbookDefinitionException.class, b::build).problems();
  }

  @Test
  void aStepWithoutReversibilityIsRejected() {
    assertThat(problems(Runbook.builder("r").step("deploy", s -> s.action(ctx -> null))))
        .containsExactly("step 'deploy' must declare compensate(...), readOnly() or irreversible()");
  }

  @Test
  void aStepWithTwoReversibilitiesIsRejected() {
    assertThat(problems(Runbook.builder("r").step("deploy", s -> s.action(ctx -> null).readOnly().irreversible())))
        .containsExactly("step 'deploy' declares both readOnly() and irreversible(); keep one");
  }

  @Test
  void aStepWithoutActionIsRejected() {
    assertThat(problems(Runbook.builder("r").step("deploy", s -> s.readOnly())))
        .containsExactly("step 'deploy' has no action; add action(ctx -> ...) (or perform(ctx -> ...) for a call that returns nothing)");
  }

  @Test
  void duplicateNamesAreRejectedWithBothPlaces() {
    assertThat(problems(Runbook.builder("r")
        .step("deploy", s -> s.action(ctx -> null).readOnly())
        .group("wave", g -> g.step("deploy", s -> s.action(ctx -> null).readOnly()))))
        .containsExactly("name 'deploy' is used twice, at 'deploy' and 'wave/deploy'; names must be unique within a runbook");
  }

  @Test
  void emptyGroupsBranchesAndForEachsAreRejected() {
    assertThat(problems(Runbook.builder("r")
        .group("empty", g -> {})
        .parallel("fan", p -> p.branch("x", b -> {}))
        .parallel("nothing", p -> {})
        .forEach("each", params -> List.of(1), 1, 0, b -> {})))
        .containsExactly(
            "group 'empty' is empty; add a step or remove the group",
            "branch 'fan/x' is empty; add a step or remove the branch",
            "parallel 'nothing' has no branches; add branch(...)",
            "forEach 'each' is empty; add a step");
  }

  @Test
  void badRetryValuesAreRejected() {
    assertThat(problems(Runbook.builder("r").step("deploy", s -> s.action(ctx -> null).readOnly()
        .retry(RetrySpec.builder().maxAttempts(0).backoff(Duration.ofSeconds(-1)).multiplier(0.5)
            .maxDelay(Duration.ofSeconds(-5)).jitter(2).build()))))
        .containsExactly(
            "step 'deploy': retry maxAttempts must be at least 1, was 0",
            "step 'deploy': retry backoff must not be negative, was PT-1S",
            "step 'deploy': retry multiplier must be at least 1.0, was 0.5",
            "step 'deploy': retry maxDelay (-5s) must not be shorter than backoff (-1s)",
            "step 'deploy': retry jitter must be between 0.0 and 1.0, was 2.0");
  }

  @Test
  void badGatesAreRejected() {
    assertThat(problems(Runbook.builder("r")
        .gate("nothing", g -> {})
        .gate("few", g -> g.approval(a -> a.approvers("alice").minApprovals(2)))
        .gate("nobody", g -> g.approval(a -> {}))))
        .containsExactly(
            "gate 'nothing' has neither check(...) nor approval(...); add one",
            "gate 'few' approval needs 2 distinct approvals but names only 1 approvers",
            "gate 'nobody' approval names no approvers and no role; add approvers(...) or role(...)");
  }

  @Test
  void badWaitsAndABakeWithoutWatchAreRejected() {
    assertThat(problems(Runbook.builder("r")
        .sleep("zero", Duration.ZERO)
        .waitUntil("poll", Duration.ofMinutes(5), Duration.ofMinutes(1), ctx -> true)
        .bake("soak", Duration.ofMinutes(10))))
        .containsExactly(
            "sleep 'zero': duration must be positive, was 0s",
            "waitUntil 'poll': every (5m) is longer than timeout (1m)",
            "bake 'soak' has no watch in scope, so nothing is observed; add a watch or use sleep");
  }

  @Test
  void badForEachLimitsAndNamesAreRejected() {
    assertThat(problems(Runbook.builder("r")
        .forEach("each", p -> List.of(), 0, -1, b -> b.step("x", s -> s.action(ctx -> null).readOnly()))
        .step("bad/name", s -> s.action(ctx -> null).readOnly())))
        .containsExactly(
            "forEach 'each': maxConcurrency must be at least 1, was 0",
            "forEach 'each': maxErrors must not be negative, was -1",
            "name 'bad/name' at 'bad/name' is not valid; use letters, digits and - _ . : @");
  }

  @Test
  void allProblemsAreReportedInOneMessage() {
    assertThatThrownBy(() -> Runbook.builder("deploy-web")
        .step("a", s -> s.action(ctx -> null))
        .step("a", s -> s.action(ctx -> null).readOnly())
        .build())
        .isInstanceOf(RunbookDefinitionException.class)
        .hasMessage("Runbook 'deploy-web' is invalid (2 problems):\n"
            + "  - step 'a' must declare compensate(...), readOnly() or irreversible()\n"
            + "  - name 'a' is used twice, at 'a' and 'a'; names must be unique within a runbook");
  }

  @Test
  void anEmptyRunbookIsRejected() {
    assertThat(problems(Runbook.builder("r"))).containsExactly("the runbook has no nodes; add a step");
  }

  record Params(String version) {}

  @Test
  void badParametersAreRejectedBeforeAnythingRuns() {
    try (Harness h = new Harness()) {
      Runbook<Params> rb = Runbook.builder("p", Params.class)
          .validateParams(p -> p.version().matches("\\d+\\.\\d+\\.\\d+") ? List.of()
              : List.of("version '" + p.version() + "' is not like 1.2.3"))
          .step("a", h.effect("a"))
          .build();
      assertThatThrownBy(() -> h.engine.run(rb, new Params("latest")))
          .isInstanceOf(RunbookDefinitionException.class)
          .hasMessage("Parameters of runbook 'p' is invalid (1 problem):\n  - version 'latest' is not like 1.2.3");
      assertThatThrownBy(() -> h.engine.run(rb, null))
          .hasMessageContaining("parameters are missing; pass a Params");
      assertThat(h.effects).isEmpty();
      assertThat(h.journal.runIds()).isEmpty();
    }
  }

  @Test
  void durationsReadTheWayRunbooksWriteThem() {
    assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThatThrownBy(() -> Durations.parse("10 minutes"))
        .hasMessage("'10 minutes' is not a duration; write it like 90s, 10m, 1h30m, 2d or 250ms");
  }
}
