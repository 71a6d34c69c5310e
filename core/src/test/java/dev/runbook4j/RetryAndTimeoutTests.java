package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryAndTimeoutTests {

  @Test
  void aStepIsRetriedWithExponentialBackoffOnVirtualTimeAndEachAttemptIsJournaled() {
    try (Harness h = new Harness()) {
      AtomicInteger calls = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("retry")
          .step("flaky", s -> s.action(ctx -> {
            if (calls.incrementAndGet() < 4) {
              throw new IllegalStateException("throttled");
            }
            return "ok after " + ctx.attempt();
          }).compensate((ctx, o) -> {}).retry(RetrySpec.builder().maxAttempts(5).backoff(Duration.ofSeconds(10))
              .multiplier(3).maxDelay(Duration.ofMinutes(1)).build()))
          .build();
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.outputs()).containsEntry("flaky", "ok after 4");
      assertThat(h.events(r.runId(), RunEvent.StepStarted.class)).extracting(RunEvent.StepStarted::attempt)
          .containsExactly(1, 2, 3, 4);
      List<RunEvent.StepRetryScheduled> retries = h.events(r.runId(), RunEvent.StepRetryScheduled.class);
      // 10 s, 30 s, then 90 s capped at 60 s
      assertThat(retries).extracting(e -> Duration.between(e.at(), e.nextAttemptAt()))
          .containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60));
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofSeconds(100));
      // the idempotency key is the same for every attempt
      assertThat(h.events(r.runId(), RunEvent.StepStarted.class)).extracting(RunEvent.StepStarted::idempotencyKey)
          .containsOnly(r.runId() + ":flaky");
    }
  }

  @Test
  void aStepStopsAfterMaxAttemptsAndReportsTheAttemptCount() {
    try (Harness h = new Harness()) {
      AtomicInteger calls = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("exhaust")
          .step("never", s -> s.action(ctx -> {
            calls.incrementAndGet();
            throw new IllegalStateException("still down");
          }).compensate((ctx, o) -> {}).retry(RetrySpec.of(3)))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(calls).hasValue(3);
      StepFailedException e = (StepFailedException) r.failure().orElseThrow();
      assertThat(e.attempts()).isEqualTo(3);
      assertThat(e.getMessage()).contains("failed after 3 attempts: IllegalStateException (still down)");
      assertThat(h.events(r.runId(), RunEvent.StepFailed.class)).extracting(RunEvent.StepFailed::willRetry)
          .containsExactly(true, true, false);
    }
  }

  @Test
  void onlyTheErrorsTheRetrySpecNamesAreRetried() {
    try (Harness h = new Harness()) {
      AtomicInteger calls = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("terminal")
          .step("auth", s -> s.action(ctx -> {
            calls.incrementAndGet();
            throw new SecurityException("access denied");
          }).compensate((ctx, o) -> {}).retry(RetrySpec.builder().maxAttempts(5).retryOn(IllegalStateException.class)
              .build()))
          .build();
      h.engine.run(rb, null);
      assertThat(calls).hasValue(1);
    }
  }

  @Test
  void jitterSpreadsDelaysDeterministicallyWithinItsBounds() {
    RetrySpec spec = RetrySpec.builder().maxAttempts(10).backoff(Duration.ofSeconds(10)).multiplier(1)
        .maxDelay(Duration.ofSeconds(10)).jitter(0.5).build();
    for (int attempt = 1; attempt < 10; attempt++) {
      Duration d = spec.delayAfter(attempt, 42L);
      assertThat(d).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(10));
      assertThat(spec.delayAfter(attempt, 42L)).isEqualTo(d);
    }
    java.util.Set<Duration> distinct = new java.util.HashSet<>();
    for (long seed = 0; seed < 20; seed++) {
      distinct.add(spec.delayAfter(1, seed));
    }
    assertThat(distinct).hasSizeGreaterThan(10);
  }

  @Test
  void aTimeoutExceptionTheActionThrowsKeepsItsOwnMessage() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("own-timeout")
          .step("call", s -> s.action(ctx -> {
            throw new java.util.concurrent.TimeoutException("the target did not answer");
          }).compensate((ctx, o) -> {}))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.events(r.runId(), RunEvent.StepFailed.class).get(0).error())
          .isEqualTo("TimeoutException: the target did not answer");
    }
  }

  /**
   * Time moves to the earliest of a sleep's end and the step's timeout: the woken sleeper stops
   * counting as asleep when its timer fires, not when it next holds the clock's lock (until then
   * the clock could jump on to the timeout an hour away). Many runs, since it was a race.
   */
  @Test
  void aSleepShorterThanTheStepsTimeoutEndsFirst() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("nap")
          .step("nap", s -> s.action(ctx -> {
            ctx.sleep(Duration.ofMinutes(10));
            return "rested";
          }).compensate((ctx, o) -> {}).timeout(Duration.ofHours(1)))
          .step("after", s -> s.action(ctx -> {
            ctx.sleep(Duration.ofSeconds(1));
            return "done";
          }).readOnly().timeout(Duration.ofSeconds(2)))
          .build();
      for (int i = 0; i < 100; i++) {
        Instant t0 = h.time.now();
        RunResult r = h.engine.run(rb, null);
        assertThat(r.state()).as("run %d", i).isEqualTo(RunState.SUCCEEDED);
        assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofMinutes(10).plusSeconds(1));
      }
    }
  }

  @Test
  void anAttemptThatRunsPastItsTimeoutIsInterruptedAndRetried() {
    try (Harness h = new Harness()) {
      AtomicInteger interrupted = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("timeout")
          .step("slow", s -> s.action(ctx -> {
            if (ctx.attempt() == 1) {
              try {
                ctx.sleep(Duration.ofMinutes(30));
              } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
              }
            }
            return "fast enough";
          }).compensate((ctx, o) -> {}).timeout(Duration.ofMinutes(5))
              .retry(RetrySpec.builder().maxAttempts(2).backoff(Duration.ofSeconds(1)).build()))
          .build();
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(interrupted).hasValue(1);
      assertThat(h.events(r.runId(), RunEvent.StepFailed.class).get(0).error())
          .isEqualTo("StepTimeoutException: Attempt 1 of step 'slow' timed out after 5m;"
              + " raise the step's timeout or make the action faster");
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofMinutes(5).plusSeconds(1));
    }
  }

  @Test
  void aTimeoutThatIsNotRetriedRollsBack() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("timeout-fail")
          .step("a", h.effect("a"))
          .step("hang", s -> s.action(ctx -> {
            ctx.sleep(Duration.ofDays(1));
            return null;
          }).compensate((ctx, o) -> h.effects.add("undo:hang")).timeout(Duration.ofSeconds(30)))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow().getCause()).isInstanceOf(StepTimeoutException.class);
      assertThat(h.undone()).containsExactly("hang", "a");
    }
  }

  @Test
  // before the fix this run never ended; the guard fails the test instead of hanging the build
  @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void aTimeoutFiresOnAOneWorkerEngineWhoseOnlyWorkerIsHeldByTheHangingCall() {
    dev.runbook4j.spi.VirtualTime time = dev.runbook4j.spi.VirtualTime.create();
    List<String> undone = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).maxWorkers(1).build()) {
      Runbook<Void> rb = Runbook.builder("one-worker")
          .step("a", s -> s.action(ctx -> "a").compensate((ctx, o) -> undone.add("a")))
          .step("hang", s -> s.action(ctx -> {
            ctx.sleep(Duration.ofDays(1));
            return null;
          }).compensate((ctx, o) -> undone.add("hang")).timeout(Duration.ofSeconds(30)))
          .build();
      Instant t0 = time.now();
      RunResult r = engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow().getCause()).isInstanceOf(StepTimeoutException.class);
      assertThat(undone).containsExactly("hang", "a");
      assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofSeconds(30));
    }
  }

  @Test
  void aCompensationIsRetriedByItsOwnRetrySpec() {
    try (Harness h = new Harness()) {
      AtomicInteger undoCalls = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("comp-retry")
          .step("a", s -> s.action(ctx -> "a").compensate((ctx, o) -> {
            if (undoCalls.incrementAndGet() < 3) {
              throw new IllegalStateException("busy");
            }
          }, RetrySpec.builder().maxAttempts(3).backoff(Duration.ofSeconds(5)).build()))
          .step("b", s -> s.action(ctx -> {
            throw new IllegalStateException("boom");
          }).readOnly())
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(undoCalls).hasValue(3);
      assertThat(h.events(r.runId(), RunEvent.CompensationStarted.class)).extracting(RunEvent.CompensationStarted::attempt)
          .containsExactly(1, 2, 3);
    }
  }
}
