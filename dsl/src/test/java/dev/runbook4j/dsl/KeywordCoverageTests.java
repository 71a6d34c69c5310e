package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.ApprovalSpec;
import dev.runbook4j.Gate;
import dev.runbook4j.Nodes;
import dev.runbook4j.Parallel;
import dev.runbook4j.RetrySpec;
import dev.runbook4j.Runbook;
import dev.runbook4j.Step;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every method of the Java builders has its DSL keyword (or option), so the two stay in step. */
class KeywordCoverageTests {
  /** Builder methods whose keyword has another name in the DSL. */
  private static final Map<String, String> RENAMED = Map.of(
      "sleep", "wait",
      "validateParams", "validate",
      "withPolicy", "policy",
      "passWhen", "check");

  private static Set<String> builderMethods(Class<?> type) {
    Set<String> names = new TreeSet<>();
    for (Method m : type.getMethods()) {
      if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class || m.getName().equals("build")
          || (type == Runbook.Builder.class && m.getName().equals("code"))   // the loader sets it: the script's hash
          || (type == Step.Builder.class && m.getName().equals("perform"))) { // Java's void lambdas: a closure always has a value
        continue;
      }
      names.add(RENAMED.getOrDefault(m.getName(), m.getName()));
    }
    return names;
  }

  /** Builder methods a DSL writes as a named option of another keyword: method, keyword and option. */
  private static final Map<String, String[]> AS_OPTIONS = Map.of(
      "compensationTimeout", new String[] {"compensate", "timeout"},
      "onCompensationFailure", new String[] {"compensate", "onFailure"});

  private static List<String> missing(Class<?> builder, Class<?> dsl) {
    List<String> missing = new ArrayList<>();
    Set<String> keywords = DslChecker.keywordsOf(dsl);
    for (String m : builderMethods(builder)) {
      String[] option = AS_OPTIONS.get(m);
      if (option != null && keywords.contains(option[0])
          && DslChecker.OPTIONS.getOrDefault(option[0], Set.of()).contains(option[1])) {
        continue;
      }
      if (!keywords.contains(m)) {
        missing.add(builder.getSimpleName() + "." + m);
      }
    }
    return missing;
  }

  @Test
  void everyBuilderMethodHasItsKeyword() {
    List<String> missing = new ArrayList<>();
    missing.addAll(missing(Runbook.Builder.class, RunbookDsl.class));
    missing.addAll(missing(Nodes.Block.class, BlockDsl.class));
    missing.addAll(missing(Parallel.Branches.class, ParallelDsl.class));
    missing.addAll(missing(Step.Builder.class, StepDsl.class));
    missing.addAll(missing(Gate.Builder.class, GateDsl.class));
    missing.addAll(missing(ApprovalSpec.Builder.class, ApprovalDsl.class));
    missing.addAll(missing(dev.runbook4j.Choice.Options.class, ChooseDsl.class));
    missing.addAll(missing(dev.runbook4j.StepDefaults.class, DefaultsDsl.class));
    assertThat(missing).isEmpty();
  }

  @Test
  void everyRetrySettingIsAnOptionOfRetry() {
    assertThat(builderMethods(RetrySpec.Builder.class)).isSubsetOf(StepDsl.RETRY_OPTIONS);
  }

  @Test
  void theCheckerKnowsEveryKeywordOfEachBlock() {
    assertThat(DslChecker.Block.STEP.keywords).isEqualTo(DslChecker.keywordsOf(StepDsl.class));
    assertThat(DslChecker.Block.RUNBOOK.keywords).contains("step", "gate", "wait", "waitUntil", "bake", "group",
        "parallel", "forEach", "watch", "parameters", "lock", "description", "compatibleWith", "validate");
  }

  @Test
  void editorDescriptorsShipInTheJarAndNameTheScriptClass() throws java.io.IOException {
    for (String descriptor : List.of("runbook4j.gdsl", "dsld/runbook4j.dsld")) {
      try (java.io.InputStream in = RunbookScripts.class.getClassLoader().getResourceAsStream(descriptor)) {
        assertThat(in).as(descriptor).isNotNull();
        String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).contains(RunbookScript.class.getName(), DslContext.class.getName(), "runbook.groovy");
      }
    }
  }
}
