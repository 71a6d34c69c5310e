package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A value too large to journal fails the step with a message naming it; an error message is cut. */
class JournalLimitsTests {
  @Test
  void anOutputAboveTheLimitFailsItsAttemptNamingTheStepItsSizeAndTheLimit() {
    Runbook<Void> rb = Runbook.builder("big")
        .step("small", s -> s.action(ctx -> "x".repeat(100)).compensate((ctx, out) -> {}))
        .step("huge", s -> s.action(ctx -> Map.of("blob", "y".repeat(5000))).compensate((ctx, out) -> {}))
        .build();
    try (RunbookEngine e = RunbookEngine.builder().maxValueBytes(4096).build()) {
      RunResult r = e.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("huge", "small");  // its action ran: undone like any started step
      assertThat(r.failure().orElseThrow().getMessage()).contains("huge");
      List<RunEvent> events = e.history(r.runId());
      assertThat(events).filteredOn(ev -> ev instanceof RunEvent.StepFailed).singleElement()
          .extracting(ev -> ((RunEvent.StepFailed) ev).error()).asString()
          .contains("the output of step 'huge' is 5011 bytes as JSON, more than the journal takes per value (4096 bytes");
      assertThat(events).noneMatch(ev -> ev instanceof RunEvent.StepSucceeded s && s.stepId().equals("huge"));
    }
  }

  @Test
  void theDefaultLimitIsOneMebibyteAndAnErrorMessageIsCutToAQuarterOfTheLimit() {
    Runbook<Void> rb = Runbook.builder("big")
        .step("huge", s -> s.action(ctx -> "z".repeat((1 << 20) + 1)).compensate((ctx, out) -> {}))
        .build();
    try (RunbookEngine e = RunbookEngine.builder().build()) {
      RunResult r = e.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow().getMessage()).contains("1048579 bytes as JSON", "(1048576 bytes");
    }
    Runbook<Void> loud = Runbook.builder("loud")
        .step("shout", s -> s.action(ctx -> {
          throw new IllegalStateException("!".repeat(10_000));
        }).compensate((ctx, out) -> {}))
        .build();
    try (RunbookEngine e = RunbookEngine.builder().maxValueBytes(4096).build()) {
      RunResult r = e.run(loud, null);
      String error = e.history(r.runId()).stream().filter(ev -> ev instanceof RunEvent.StepFailed)
          .map(ev -> ((RunEvent.StepFailed) ev).error()).findFirst().orElseThrow();
      assertThat(error).hasSizeLessThan(1100).endsWith("(8976 characters more, not journaled)");
    }
  }
}
