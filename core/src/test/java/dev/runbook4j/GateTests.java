package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GateTests {

  private static Runbook<Void> approvalRunbook(Harness h, int min, Duration timeout) {
    return Runbook.builder("release")
        .step("a", h.effect("a"))
        .gate("approval", g -> g.approval(a -> {
          a.approvers("alice", "bob", "carol").minApprovals(min);
          if (timeout != null) {
            a.timeout(timeout);
          }
        }))
        .step("b", h.effect("b"))
        .build();
  }

  private static RunOptions by(String requester) {
    return RunOptions.defaults().withRequester(requester);
  }

  @Test
  void aPredicateGateRechecksUntilItPasses() {
    try (Harness h = new Harness()) {
      AtomicInteger checks = new AtomicInteger();
      Runbook<Void> rb = Runbook.builder("recheck")
          .gate("healthy", g -> g.check(ctx -> checks.incrementAndGet() < 3 ? GateDecision.recheck("warming up")
              : GateDecision.pass()).every(Duration.ofMinutes(2)))
          .step("b", h.effect("b"))
          .build();
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(checks).hasValue(3);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofMinutes(4));
      assertThat(h.events(r.runId(), RunEvent.GateWaiting.class)).hasSize(2);
    }
  }

  @Test
  void aPredicateGateThatNeverPassesRejectsAtItsTimeout() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("never")
          .step("a", h.effect("a"))
          .gate("metrics", g -> g.check(ctx -> GateDecision.recheckAfter(Duration.ofMinutes(4), "p99 too high"))
              .timeout(Duration.ofMinutes(10)))
          .build();
      Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofMinutes(10));
      assertThat(((GateRejectedException) r.failure().orElseThrow()).reason())
          .isEqualTo("timed out after 10m and 4 checks; last answer: p99 too high");
    }
  }

  @Test
  void aRunParksAtAnApprovalAndGoesOnWhenEnoughDistinctPeopleApprove() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = approvalRunbook(h, 2, null);
      RunHandle handle = h.engine.start(rb, null, by("dave"));
      RunResult parked = handle.await();
      assertThat(parked.isParked()).isTrue();
      assertThat(handle.status().awaitingApproval()).containsExactly("approval");

      h.engine.approve(handle.runId(), "approval", "alice");
      h.engine.approve(handle.runId(), "approval", "alice");  // the same person twice counts once
      assertThat(handle.await().state()).isEqualTo(RunState.AWAITING_APPROVAL);

      h.engine.approve(handle.runId(), "approval", "bob", "looks good", handle.status().planHash());
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.events(r.runId(), RunEvent.ApprovalGranted.class)).extracting(RunEvent.ApprovalGranted::user)
          .containsExactly("alice", "bob");
    }
  }

  @Test
  void theRequesterMayNotApproveTheirOwnRun() {
    try (Harness h = new Harness()) {
      RunHandle handle = h.engine.start(approvalRunbook(h, 1, null), null, by("alice"));
      handle.await();
      assertThatThrownBy(() -> h.engine.approve(handle.runId(), "approval", "alice"))
          .isInstanceOf(ApprovalException.class)
          .hasMessage("User 'alice' requested run " + handle.runId() + " (release) and may not approve or reject its"
              + " gate 'approval'; ask another approver (1 of [alice, bob, carol], requester excluded)");
      assertThat(h.events(handle.runId(), RunEvent.ApprovalGranted.class)).isEmpty();
    }
  }

  @Test
  void someoneWhoIsNotAnApproverIsRefused() {
    try (Harness h = new Harness()) {
      RunHandle handle = h.engine.start(approvalRunbook(h, 1, null), null, by("dave"));
      handle.await();
      assertThatThrownBy(() -> h.engine.approve(handle.runId(), "approval", "mallory"))
          .isInstanceOf(ApprovalException.class).hasMessageContaining("User 'mallory' may not approve");
    }
  }

  @Test
  void aRoleCheckDecidesWhoMayApprove() {
    try (Harness h = new Harness()) {
      Set<String> sres = Set.of("erin", "frank");
      Runbook<Void> rb = Runbook.builder("role")
          .gate("sre", g -> g.approval(a -> a.role("sre", sres::contains).minApprovals(1)))
          .step("b", h.effect("b"))
          .build();
      RunHandle handle = h.engine.start(rb, null, by("dave"));
      handle.await();
      assertThatThrownBy(() -> h.engine.approve(handle.runId(), "sre", "gina")).isInstanceOf(ApprovalException.class);
      h.engine.approve(handle.runId(), "sre", "erin");
      assertThat(handle.await().state()).isEqualTo(RunState.SUCCEEDED);
    }
  }

  @Test
  void anApprovalGivenForAnotherPlanIsRefused() {
    try (Harness h = new Harness()) {
      RunHandle handle = h.engine.start(approvalRunbook(h, 1, null), null, by("dave"));
      handle.await();
      assertThatThrownBy(() -> h.engine.approve(handle.runId(), "approval", "bob", "", "0123456789abcdef"))
          .isInstanceOf(ApprovalException.class).hasMessageContaining("was given for plan 0123456789ab");
    }
  }

  @Test
  void anApprovalThatTimesOutRejectsAndRollsBack() {
    try (Harness h = new Harness()) {
      RunHandle handle = h.engine.start(approvalRunbook(h, 2, Duration.ofHours(4)), null, by("dave"));
      handle.await();
      h.engine.approve(handle.runId(), "approval", "carol");
      h.time.advance(Duration.ofHours(4));
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("a");
      assertThat(((GateRejectedException) r.failure().orElseThrow()).reason())
          .isEqualTo("only 1 of 2 approvals [carol] arrived within 4h");
    }
  }

  @Test
  void anApproverCanRejectAndTheRunRollsBack() {
    try (Harness h = new Harness()) {
      RunHandle handle = h.engine.start(approvalRunbook(h, 2, null), null, by("dave"));
      handle.await();
      h.engine.reject(handle.runId(), "approval", "bob", "not during the sale");
      RunResult r = handle.await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow()).hasMessageContaining("rejected by bob: not during the sale");
    }
  }

  @Test
  void approvingAGateThatIsNotWaitingIsRefused() {
    try (Harness h = new Harness()) {
      RunHandle handle = h.engine.start(approvalRunbook(h, 1, null), null, by("dave"));
      handle.await();
      assertThatThrownBy(() -> h.engine.approve(handle.runId(), "nope", "bob"))
          .isInstanceOf(ApprovalException.class)
          .hasMessage("Gate 'nope' of run " + handle.runId() + " (release) is not awaiting approval"
              + " (run is AWAITING_APPROVAL; awaiting: [approval])");
    }
  }
}
