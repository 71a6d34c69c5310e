package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.RetryPolicy;
import dev.runbook4j.failsafe.FailsafePolicies;
import dev.runbook4j.failsafe.FailsafePolicyAdapter;
import dev.runbook4j.resilience4j.Resilience4jPolicies;
import dev.runbook4j.resilience4j.Resilience4jPolicyAdapter;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PolicyAdapterTests {

  private static Runbook<Void> hanging(Harness h, Duration timeout) {
    return Runbook.builder("hang")
        .step("a", h.effect("a"))
        .step("stuck", s -> s.action(ctx -> {
          ctx.sleep(Duration.ofHours(2));
          return null;
        }).compensate((ctx, o) -> h.effects.add("undo:stuck")).timeout(timeout))
        .build();
  }

  @Test
  void theFailsafeAdapterEnforcesTimeoutsOnVirtualTimeToo() {
    try (Harness h = new Harness(b -> b.policyAdapter(FailsafePolicyAdapter.create()))) {
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(hanging(h, Duration.ofMinutes(3)), null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow().getCause()).isInstanceOf(StepTimeoutException.class);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofMinutes(3));
      assertThat(h.undone()).containsExactly("stuck", "a");
    }
  }

  @Test
  void aNamedCircuitBreakerIsSharedByTheStepsThatNameItAndOpensAfterFailures() {
    CircuitBreakerConfig config = CircuitBreakerConfig.custom().minimumNumberOfCalls(2).slidingWindowSize(2)
        .failureRateThreshold(50).waitDurationInOpenState(Duration.ofHours(1)).build();
    Resilience4jPolicyAdapter adapter = Resilience4jPolicyAdapter.create(config);
    try (Harness h = new Harness(b -> b.policyAdapter(adapter))) {
      AtomicInteger calls = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("breaker")
          .step("call", s -> s.action(ctx -> {
            calls.incrementAndGet();
            throw new IllegalStateException("lambda 503");
          }).readOnly().circuitBreaker("lambda/123456789012").retry(RetrySpec.builder().maxAttempts(4)
              .backoff(Duration.ofSeconds(1)).build()))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      // two calls open the breaker; the next attempts are refused without calling the action
      assertThat(calls).hasValue(2);
      assertThat(h.events(r.runId(), RunEvent.StepFailed.class).get(3).error())
          .contains("CallNotPermittedException").contains("lambda/123456789012");
      assertThat(adapter.circuitBreakers().circuitBreaker("lambda/123456789012").getState())
          .isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN);
    }
  }

  @Test
  void aStepCanTakeTheUsersOwnResilience4jRetryWhoseWaitsAreVirtual() {
    try (Harness h = new Harness()) {
      AtomicInteger calls = new AtomicInteger();
      Retry retry = Retry.of("in-call", RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofSeconds(20)).build());
      Runbook<Void> rb = Runbook.builder("r4j-retry")
          .step("flaky", s -> s.action(ctx -> {
            if (calls.incrementAndGet() < 3) {
              throw new IllegalStateException("throttled");
            }
            return "ok";
          }).readOnly().withPolicy(Resilience4jPolicies.retry(retry)))
          .build();
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(calls).hasValue(3);
      // one engine attempt, three in-call attempts, 2 x 20 s on virtual time
      assertThat(h.events(r.runId(), RunEvent.StepStarted.class)).hasSize(1);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofSeconds(40));
    }
  }

  @Test
  void aStepCanTakeTheUsersOwnFailsafePolicies() {
    try (Harness h = new Harness()) {
      AtomicInteger calls = new AtomicInteger();
      RetryPolicy<Object> retry = RetryPolicy.builder().withMaxAttempts(4).withDelay(Duration.ofSeconds(5)).build();
      Runbook<Void> rb = Runbook.builder("failsafe")
          .step("flaky", s -> s.action(ctx -> {
            if (calls.incrementAndGet() < 4) {
              throw new IllegalStateException("throttled");
            }
            return "ok";
          }).readOnly().withPolicy(FailsafePolicies.of(retry, CircuitBreaker.builder().withFailureThreshold(5).build())))
          .build();
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(calls).hasValue(4);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofSeconds(15));
    }
  }

  @Test
  void theFailsafeAdapterSharesNamedCircuitBreakers() {
    FailsafePolicyAdapter adapter = FailsafePolicyAdapter.create(
        name -> CircuitBreaker.builder().withFailureThreshold(2).withDelay(Duration.ofHours(1)).build());
    try (Harness h = new Harness(b -> b.policyAdapter(adapter))) {
      AtomicInteger calls = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("fs-breaker")
          .step("one", s -> s.action(ctx -> {
            calls.incrementAndGet();
            throw new IllegalStateException("503");
          }).readOnly().circuitBreaker("ecs").onFailure(OnFailure.CONTINUE).retry(RetrySpec.of(2)))
          .step("two", s -> s.action(ctx -> {
            calls.incrementAndGet();
            return null;
          }).readOnly().circuitBreaker("ecs"))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(calls).hasValue(2);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(adapter.circuitBreaker("ecs").isOpen()).isTrue();
    }
  }
}
