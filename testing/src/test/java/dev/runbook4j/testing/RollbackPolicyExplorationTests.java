package dev.runbook4j.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.OnCompensationFailure;
import dev.runbook4j.Runbook;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A saga whose refund must not run when the payment could not be voided (the Step Functions sample
 * the issue names): its compensation stops the rollback when it fails, and exploration expects the
 * steps before it to be left alone on that path, and undone on every other.
 */
class RollbackPolicyExplorationTests {
  /** What the runbooks change; idempotent, as a target that dedupes by client token is (a step whose outcome a crash lost is attempted again). */
  static final class Shop {
    final java.util.Set<String> done = new java.util.LinkedHashSet<>();

    synchronized String add(String what) {
      done.add(what);
      return what;
    }

    synchronized void remove(String what) {
      done.remove(what);
    }

    synchronized boolean empty() {
      return done.isEmpty();
    }
  }

  static Runbook<Void> saga(Shop shop) {
    return Runbook.builder("order")
        .step("reserve", s -> s.action(ctx -> shop.add("reserve")).compensate((ctx, out) -> shop.remove("reserve")))
        .step("charge", s -> s.action(ctx -> shop.add("charge")).compensate((ctx, out) -> shop.remove("charge"))
            .onCompensationFailure(OnCompensationFailure.STOP))
        .step("ship", s -> s.action(ctx -> shop.add("ship")).compensate((ctx, out) -> shop.remove("ship")))
        .build();
  }

  @Test
  void aCompensationThatStopsTheRollbackIsExploredAsItSays() {
    ExplorationReport report = FailureExplorer.of(() -> {
      Shop shop = new Shop();
      return Subject.of(saga(shop), (Void) null).whenRolledBack("nothing is left of the order", shop::empty);
    }).exhaustive(true).crashes(false).keepRuns(true).explore();
    List<String> names = report.paths().stream().map(p -> p.point().name()).toList();
    assertThat(names).contains(
        "fail undo of 'charge' in the rollback after fail 'ship' → rollback fails, compensates ship, leaves 'charge'",
        "fail undo of 'reserve' in the rollback after fail 'ship' → rollback fails, compensates ship, charge,"
            + " leaves 'reserve'");
    // the invariant is for rollbacks that end ROLLED_BACK: every path holds, the stopped one included
    report.assertAllHold();
    assertThat(report.paths()).filteredOn(p -> p.point().name().startsWith("fail undo of 'charge'"))
        .allSatisfy(p -> assertThat(p.run().compensationsCalled()).doesNotContain("reserve"));
  }

  @Test
  void aStepWhoseFailureRuleContinuesIsExpectedToLetTheRunSucceed() {
    ExplorationReport report = FailureExplorer.of(() -> {
      Shop shop = new Shop();
      Runbook<Void> rb = Runbook.builder("warm")
          .step("reserve", s -> s.action(ctx -> shop.add("reserve")).compensate((ctx, out) -> shop.remove("reserve")))
          .step("warm-cache", s -> s.action(ctx -> "warm").readOnly()
              .onFailure(InjectedFault.class, dev.runbook4j.OnFailure.CONTINUE))
          .build();
      return Subject.of(rb, (Void) null).whenRolledBack("nothing is left", shop::empty);
    }).crashes(false).explore();
    report.assertAllHold();
    assertThat(report.paths().stream().map(p -> p.point().name()))
        .contains("fail 'warm-cache' → succeeds", "fail 'warm-cache' by timeout → compensates reserve");
  }

  @Test
  void aParallelThatLetsItsBranchesFinishHoldsOnEveryPath() {
    ExplorationReport report = FailureExplorer.of(() -> {
      Shop shop = new Shop();
      Runbook<Void> rb = Runbook.builder("regions")
          .parallel("waves", p -> p.failFast(false)
              .branch("eu", b -> b.step("eu-1", s -> s.action(ctx -> shop.add("eu")).compensate((ctx, o) -> shop.remove("eu"))))
              .branch("us", b -> b.sleep("soak", java.time.Duration.ofMinutes(5))
                  .step("us-1", s -> s.action(ctx -> shop.add("us")).compensate((ctx, o) -> shop.remove("us")))))
          .build();
      return Subject.of(rb, (Void) null).whenRolledBack("nothing is left", shop::empty);
    }).keepRuns(true).explore();
    report.assertAllHold();
    assertThat(report.paths()).filteredOn(p -> p.point().name().startsWith("fail 'waves/eu/eu-1' →")).singleElement()
        .satisfies(p -> assertThat(p.run().compensationsCalled()).containsExactly("waves/us/us-1", "waves/eu/eu-1"));
  }
}
