package dev.runbook4j.testing;

import dev.runbook4j.GateDecision;
import dev.runbook4j.Health;
import dev.runbook4j.RetrySpec;
import dev.runbook4j.Runbook;
import dev.runbook4j.StepKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The runbook these tests fault: a three-wave canary of a function behind an alias, with 4 h bakes
 * (12 h in all), an error-rate watch, a health gate and an approval before going live.
 */
final class Canary {
  /** The system the runbook changes: an alias over published versions, with a canary weight. */
  static final class Alias {
    final List<String> versions = new ArrayList<>(List.of("v1"));
    String target = "v1";
    String canary;
    int weight;
    double errorRate;
    final List<String> log = new ArrayList<>();

    synchronized String publish(String v) {
      log.add("publish " + v);
      if (!versions.contains(v)) {
        versions.add(v);
      }
      return v;
    }

    synchronized void unpublish(String v) {
      log.add("unpublish " + v);
      versions.remove(v);
    }

    synchronized int shift(String v, int w) {
      log.add("shift " + v + " " + w);
      int before = weight;
      canary = w == 0 ? null : v;
      weight = w;
      return before;
    }

    synchronized String promote(String v) {
      log.add("promote " + v);
      String before = target;
      target = v;
      canary = null;
      weight = 0;
      return before;
    }

    /** Back where it started: v1 serving all traffic, nothing else published. */
    synchronized boolean pristine() {
      return target.equals("v1") && canary == null && weight == 0 && versions.equals(List.of("v1"));
    }

    @Override
    public synchronized String toString() {
      return "alias -> " + target + (canary == null ? "" : " (" + weight + "% on " + canary + ")") + ", versions "
          + versions;
    }
  }

  static final StepKey<String> PUBLISH = StepKey.of("publish", String.class);

  private Canary() {}

  static Runbook<Void> runbook(Alias alias) {
    return runbook(alias, false);
  }

  /** With {@code forgetful}, the undo of 'publish' forgets to unpublish the version: the bug to find. */
  static Runbook<Void> runbook(Alias alias, boolean forgetful) {
    Runbook.Builder<Void> b = Runbook.builder("canary")
        .watch("errors", Duration.ofMinutes(5), ctx -> alias.errorRate < 0.01 ? Health.healthy()
            : Health.breached("error rate " + alias.errorRate))
        .step(PUBLISH, s -> s
            .action(ctx -> alias.publish("v2"))
            // not the output: an attempt whose response was lost has none, yet v2 may be published
            .compensate((ctx, v) -> {
              if (!forgetful) {
                alias.unpublish("v2");
              }
            }))
        .waitUntil("serving", Duration.ofSeconds(10), Duration.ofMinutes(5), ctx -> alias.versions.contains("v2"))
        .gate("healthy", g -> g
            .check(ctx -> alias.versions.contains("v2") ? GateDecision.pass() : GateDecision.recheck("not yet"))
            .every(Duration.ofMinutes(1)).timeout(Duration.ofMinutes(10)));
    int previous = 0;
    for (int w : new int[] {10, 50, 100}) {
      int back = previous;
      previous = w;
      b.step("shift-" + w, s -> s
          .action(ctx -> alias.shift(ctx.output(PUBLISH), w))
          // a failed attempt has no output: go back to the previous wave's weight
          .compensate((ctx, before) -> alias.shift("v2", before == null ? back : (Integer) before))
          .timeout(Duration.ofMinutes(2))
          .retry(RetrySpec.builder().maxAttempts(3).backoff(Duration.ofSeconds(30)).build()));
      b.bake("bake-" + w, Duration.ofHours(4));
    }
    String stable = alias.target;
    return b
        .gate("go-live", g -> g.approval(a -> a.approvers("alice", "bob").minApprovals(1)))
        .step("promote", s -> s
            .action(ctx -> alias.promote("v2"))
            // a failed attempt has no output: go back to the version that was stable when the run began
            .compensate((ctx, before) -> alias.promote(before == null ? stable : (String) before)))
        .step("announce", s -> s.action(ctx -> "sent").readOnly())
        .build();
  }
}
