package dev.runbook4j.examples;

import dev.runbook4j.GateDecision;
import dev.runbook4j.Health;
import dev.runbook4j.OnFailure;
import dev.runbook4j.RetrySpec;
import dev.runbook4j.Runbook;
import dev.runbook4j.StepKey;
import java.time.Duration;

/**
 * A realistic release of a web shop, as a team would write it: a schema migration, an artifact, a
 * canary with two bakes under an error-rate watch, a health gate, an approval before customers see
 * it, a DNS switch, a feature flag, promotion, and clean-up. Thirteen steps; each mutating one says
 * how it is undone, and every undo works without the step's output (an attempt whose response was
 * lost has none).
 *
 * <p>{@link #brokenRunbook} is the same release with one deliberate bug: the undo of the feature
 * flag forgets to switch it off. {@code ServiceReleaseTests} shows the failure-point exploration
 * finding it and naming every failure point it breaks.
 */
public final class ServiceRelease {
  /** The release's parameters. */
  public record Release(String version, int migration) {}

  static final StepKey<Integer> MIGRATE = StepKey.of("migrate-schema", Integer.class);

  private ServiceRelease() {}

  /** The release, with bakes of 30 minutes and one hour. */
  public static Runbook<Release> runbook(Platform platform) {
    return build(platform, false, Duration.ofMinutes(30));
  }

  /** The release with a first bake of {@code bake} and a second of twice that (for a demonstration on the real clock). */
  public static Runbook<Release> runbook(Platform platform, Duration bake) {
    return build(platform, false, bake);
  }

  /** The same release with a bug: the undo of 'enable-flag' does nothing. */
  public static Runbook<Release> brokenRunbook(Platform platform) {
    return build(platform, true, Duration.ofMinutes(30));
  }

  private static Runbook<Release> build(Platform platform, boolean forgetFlag, Duration bake) {
    String stable = platform.stable();
    int schema = platform.schema();
    String dns = platform.dns();
    RetrySpec transient3 = RetrySpec.builder().maxAttempts(3).backoff(Duration.ofSeconds(5)).build();
    return Runbook.builder("service-release", Release.class)
        .description("Release of the shop: migration, canary with bakes, approval, DNS, flag, promotion")
        .lock(r -> "shop-prod")
        .watch("error-rate", Duration.ofMinutes(1), ctx -> platform.errorRate() < 1.0 ? Health.healthy()
            : Health.breached(String.format("error rate %.1f%% above 1%%", platform.errorRate())))
        .step("check-capacity", s -> s
            .description("the cluster has room for a second version")
            .action(ctx -> "ok")
            .readOnly())
        .step(MIGRATE, s -> s
            .description("additive schema migration; its down migration restores the version before")
            .action(ctx -> platform.migrate(ctx.params().migration()))
            .compensate((ctx, before) -> platform.migrate(schema))
            .retry(transient3))
        .step("upload-artifact", s -> s
            .action(ctx -> {
              platform.upload("shop-" + ctx.params().version());
              return null;
            })
            .compensate((ctx, out) -> platform.delete("shop-" + ctx.params().version()))
            .retry(transient3)
            .timeout(Duration.ofMinutes(5)))
        .step("start-canary", s -> s
            .action(ctx -> {
              platform.start(ctx.params().version());
              return null;
            })
            .compensate((ctx, out) -> platform.stop(ctx.params().version()))
            .timeout(Duration.ofMinutes(10)))
        .gate("canary-healthy", g -> g
            .description("the canary answers its health check")
            .check(ctx -> platform.isRunning(ctx.params().version()) ? GateDecision.pass()
                : GateDecision.recheck("not running yet"))
            .every(Duration.ofSeconds(30)).timeout(Duration.ofMinutes(5)))
        .step("shift-10", s -> s
            .action(ctx -> {
              platform.split(ctx.params().version(), 10);
              return null;
            })
            .compensate((ctx, out) -> platform.split(ctx.params().version(), 0)))
        .bake("bake-10", bake)
        .step("shift-50", s -> s
            .action(ctx -> {
              platform.split(ctx.params().version(), 50);
              return null;
            })
            .compensate((ctx, out) -> platform.split(ctx.params().version(), 10)))
        .bake("bake-50", bake.multipliedBy(2))
        .gate("go-live", g -> g
            .description("a release manager lets customers see it")
            .approval(a -> a.approvers("alice", "bob").timeout(Duration.ofHours(8))))
        .step("switch-dns", s -> s
            .action(ctx -> platform.pointDns("lb-green"))
            .compensate((ctx, before) -> platform.pointDns(dns)))
        .step("enable-flag", s -> s
            .action(ctx -> {
              platform.flag("new-checkout", true);
              return null;
            })
            .compensate((ctx, out) -> {
              if (!forgetFlag) {
                platform.flag("new-checkout", false);
              }
            }))
        .step("shift-100", s -> s
            .action(ctx -> {
              platform.split(ctx.params().version(), 100);
              return null;
            })
            .compensate((ctx, out) -> platform.split(ctx.params().version(), 50)))
        .step("promote", s -> s
            .action(ctx -> platform.promote(ctx.params().version()))
            .compensate((ctx, before) -> platform.promote(stable)))
        .step("notify", s -> s
            .description("tell the channel")
            .action(ctx -> "posted")
            .readOnly()
            .onFailure(OnFailure.CONTINUE))
        .step("retire-old", s -> s
            .description("stop the previous version: the point of no return")
            .action(ctx -> {
              platform.stop(stable);
              return null;
            })
            .irreversible()
            .onFailure(OnFailure.CONTINUE))
        .build();
  }
}
