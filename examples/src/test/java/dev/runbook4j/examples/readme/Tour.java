package dev.runbook4j.examples.readme;

import dev.runbook4j.Health;
import dev.runbook4j.RetrySpec;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.StepKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The README's tour, as the README shows it: the text between each {@code tag::} and
 * {@code end::} comment is the README's snippet of that name, line for line
 * ({@code ReadmeSnippetsTests} fails when they differ), and the tests in this package run it.
 */
public final class Tour {
  /** The alarm the watch reads. */
  public static final class Alarms {
    volatile boolean ok = true;

    public boolean isOk(String alarm) {
      return ok;
    }
  }

  /** The database: its migration returns nothing. */
  public static final class Database {
    final List<String> migrations = new CopyOnWriteArrayList<>();

    public void migrate() {
      migrations.add("v2");
    }
  }

  FakeFleet fleet;                     // not final: the runbook's lambdas, built before the constructor runs, read them when called
  FakeFleet router;
  final Alarms alarms = new Alarms();
  final Database db = new Database();

  public Tour(FakeFleet fleet) {
    this.fleet = fleet;
    this.router = fleet;
  }

  // tag::tour-runbook[]
  record Release(String version) {}
  static final StepKey<String> DEPLOY = StepKey.of("deploy", String.class);

  Runbook<Release> release = Runbook.builder("release-checkout", Release.class)
      .lock(r -> "checkout/prod")
      .watch("5xx", Duration.ofSeconds(30),
          ctx -> alarms.isOk("checkout-5xx") ? Health.healthy() : Health.breached("5xx alarm"))
      .step(DEPLOY, s -> s.action(ctx -> fleet.deploy(ctx.params().version()))        // its value is the output
                          .compensate((ctx, out) -> fleet.remove(ctx.params().version())) // out is null if the call timed out
                          .retry(RetrySpec.builder().maxAttempts(3).backoff(Duration.ofSeconds(5)).jitter(0.2).build()))
      .gate("approval", g -> g.approval(a -> a.approvers("alice", "bob", "carol").minApprovals(2)
                                             .timeout(Duration.ofHours(4))))
      .step("shift", s -> s.perform(ctx -> router.route(ctx.output(DEPLOY), 100))     // perform: a call that returns nothing
                           .compensate((ctx, out) -> router.route(ctx.output(DEPLOY), 0))
                           .timeout(Duration.ofMinutes(2)))
      .bake("soak", Duration.ofMinutes(30))
      .step("migrate", s -> s.perform(ctx -> db.migrate()).irreversible())
      .build();
  // end::tour-runbook[]

  /** The README's engine snippet: {@code engine} is the process's one engine. */
  RunResult releaseWithTwoApprovals(RunbookEngine engine) {
    // tag::tour-engine[]
    RunResult r = engine.run(release, new Release("1.4.2"), RunOptions.defaults().withRequester("dave"));
    if (r.isParked()) {                             // at the approval: two of alice, bob and carol, never dave
      engine.approve(r.runId(), "approval", "alice");
      engine.approve(r.runId(), "approval", "bob");
      r = engine.handle(r.runId()).await();         // shift, the 30-minute soak, migrate
    }
    // end::tour-engine[]
    return r;
  }
}
