package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanTests {
  record Params(String version, List<String> regions) {}

  private static Runbook<Params> runbook(Duration bake) {
    return Runbook.builder("deploy-checkout", Params.class)
        .description("Canary release of checkout")
        .lock(p -> "checkout/prod")
        .watch("5xx", Duration.ofSeconds(30), ctx -> Health.healthy())
        .step("publish", s -> s.action(ctx -> "v").compensate((ctx, v) -> {})
            .retry(RetrySpec.of(3)).timeout(Duration.ofMinutes(2)))
        .gate("approval", g -> g.approval(a -> a.approvers("alice", "bob").minApprovals(2).timeout(Duration.ofHours(4))))
        .step("migrate", s -> s.action(ctx -> null).irreversible())
        .forEach("regions", Params::regions, 1, 0, b -> b
            .step("shift", s -> s.action(ctx -> null).compensate((ctx, o) -> {}))
            .bake("soak", bake))
        .build();
  }

  @Test
  void thePlanShowsEveryNodeWithItsSettingsAsText() {
    Plan plan = Plan.of(runbook(Duration.ofMinutes(10)), new Params("1.4.2", List.of("eu", "us")));
    assertThat(plan.toText()).isEqualTo(""
        + "Plan for runbook 'deploy-checkout' — Canary release of checkout\n"
        + "  params: {\"version\":\"1.4.2\",\"regions\":[\"eu\",\"us\"]}\n"
        + "  locks: checkout/prod\n"
        + "  watch 5xx  [every: 30s]\n"
        + "  step publish  [undo: compensate; retry: 3 attempts, backoff 1s x2, max 1m; timeout: 2m; onFailure: rollback;"
        + " compensationRetry: 3 attempts, backoff 1s x2, max 30s]\n"
        + "  gate approval  [approval: 2 of [alice, bob], requester excluded, timeout 4h; timeout: 4h; onFailure: rollback]\n"
        + "  step migrate  [undo: IRREVERSIBLE (point of no return); retry: no retry; onFailure: rollback]\n"
        + "  forEach regions  [items: [eu, us]; maxConcurrency: 1; maxErrors: 0]\n"
        + "    step regions[*]/shift  [undo: compensate; retry: no retry; onFailure: rollback;"
        + " compensationRetry: 3 attempts, backoff 1s x2, max 30s]\n"
        + "    bake regions[*]/soak  [duration: 10m]\n"
        + "  points of no return: migrate\n"
        + "  hash: " + plan.hash() + "\n");
    assertThat(plan.pointsOfNoReturn()).containsExactly("migrate");
    assertThat(plan.stepIds()).containsExactly("publish", "migrate", "regions[*]/shift");
  }

  @Test
  void theHashIsStableAndChangesWithTheDefinitionOrTheParameters() {
    Params p = new Params("1.4.2", List.of("eu", "us"));
    String h1 = Plan.of(runbook(Duration.ofMinutes(10)), p).hash();
    assertThat(Plan.of(runbook(Duration.ofMinutes(10)), p).hash()).isEqualTo(h1).hasSize(64);
    assertThat(Plan.of(runbook(Duration.ofMinutes(11)), p).hash()).isNotEqualTo(h1);
    assertThat(Plan.of(runbook(Duration.ofMinutes(10)), new Params("1.4.3", List.of("eu", "us"))).hash())
        .isNotEqualTo(h1);
    assertThat(Plan.of(runbook(Duration.ofMinutes(10)), new Params("1.4.2", List.of("eu"))).hash()).isNotEqualTo(h1);
  }

  @Test
  void twoPlansDiffLineByLine() {
    List<String> a = Plan.of(runbook(Duration.ofMinutes(10)), new Params("1", List.of("eu"))).toText().lines().toList();
    List<String> b = Plan.of(runbook(Duration.ofMinutes(20)), new Params("1", List.of("eu"))).toText().lines().toList();
    List<String> changed = b.stream().filter(l -> !a.contains(l)).toList();
    assertThat(changed).hasSize(2).anyMatch(l -> l.contains("bake regions[*]/soak  [duration: 20m]"))
        .anyMatch(l -> l.startsWith("  hash: "));
  }

  @Test
  void thePlanIsValidJsonWithTheHash() throws Exception {
    Plan plan = Plan.of(runbook(Duration.ofMinutes(10)), new Params("1.4.2", List.of("eu")));
    JsonNode json = new ObjectMapper().readTree(plan.toJson());
    assertThat(json.get("hash").asText()).isEqualTo(plan.hash());
    assertThat(json.get("params").get("version").asText()).isEqualTo("1.4.2");
    assertThat(json.get("nodes").get(0).get("attributes").get("undo").asText()).isEqualTo("compensate");
    assertThat(json.get("nodes").get(3).get("children").get(1).get("kind").asText()).isEqualTo("bake");
    assertThat(json.get("pointsOfNoReturn").get(0).asText()).isEqualTo("migrate");
  }

  @Test
  void thePlanRendersAsAMermaidFlowchart() {
    Runbook<Void> rb = Runbook.builder("m")
        .step("a", s -> s.action(ctx -> null).readOnly())
        .parallel("fan", p -> p.branch("x", b -> b.step("x1", s -> s.action(ctx -> null).readOnly()))
            .branch("y", b -> b.step("y1", s -> s.action(ctx -> null).irreversible())))
        .gate("ok", g -> g.check(ctx -> GateDecision.pass()))
        .build();
    String mermaid = Plan.of(rb, null).toMermaid();
    assertThat(mermaid).startsWith("flowchart TD\n")
        .contains("n1[\"step a\"]", "start --> n1", "n2_fork{{\"fan\"}}", "subgraph n3_g[\"fan/x\"]",
            "n2_join{{join}}", "n7{\"gate ok\"}", "n2_join --> n7", "n7 --> done", "style n6 fill:#fdd,stroke:#c00");
  }

  @Test
  void theEnginePlansWithoutRunning() {
    try (Harness h = new Harness()) {
      Plan plan = h.engine.plan(runbook(Duration.ofMinutes(10)), new Params("1", List.of("eu")));
      assertThat(plan.runbook()).isEqualTo("deploy-checkout");
      assertThat(h.journal.runIds()).isEmpty();
    }
  }
}
