package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A runbook-wide default retry and timeout that steps inherit unless they set their own. */
class StepDefaultsTests {
  @Test
  void stepsInheritTheRunbooksRetryAndTimeoutUnlessTheySetTheirOwn() {
    try (Harness h = new Harness()) {
      AtomicInteger flaky = new AtomicInteger();
      AtomicInteger own = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("defaults")
          .defaults(d -> d.retry(RetrySpec.builder().maxAttempts(3).backoff(Duration.ofSeconds(10)).build())
              .timeout(Duration.ofMinutes(5)))
          .step("flaky", s -> s.action(ctx -> {
            if (flaky.incrementAndGet() < 3) {
              throw new IllegalStateException("throttled");
            }
            return "ok";
          }).readOnly())
          .step("once", s -> s.action(ctx -> {
            own.incrementAndGet();
            throw new IllegalStateException("no");
          }).readOnly().retry(RetrySpec.none()))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(flaky).hasValue(3);  // two retries from the runbook's default
      assertThat(own).hasValue(1);    // its own: no retry
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      String plan = Plan.of(rb, null).toText();
      assertThat(plan).contains("step flaky  [undo: read-only; retry: 3 attempts", "(runbook default); timeout: 5m"
          + " (runbook default)", "step once  [undo: read-only; retry: no retry; timeout: 5m (runbook default)");
    }
  }

  @Test
  void anInheritedTimeoutTimesTheStepOut() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("slow")
          .defaults(d -> d.timeout(Duration.ofMinutes(1)))
          .step("hang", s -> s.action(ctx -> {
            ctx.sleep(Duration.ofHours(1));
            return null;
          }).readOnly())
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow()).hasMessageContaining("timed out after 1m");
    }
  }

  @Test
  void defaultsWrittenAfterAStepAreADefinitionError() {
    assertThatThrownBy(() -> Runbook.builder("late")
        .step("a", s -> s.action(ctx -> 1).readOnly())
        .defaults(d -> d.timeout(Duration.ZERO))
        .build())
        .isInstanceOf(RunbookDefinitionException.class)
        .hasMessageContaining("defaults(...) comes after 1 step; declare it before the first step")
        .hasMessageContaining("defaults: timeout must be positive, was 0s");
  }
}
