package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.Plan;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Durations in braces, taken from the parameters or an output; an approval its requester may give. */
class ValuesDslTests {
  static final String SCRIPT = """
      runbook('soak') {
        parameters { duration 'soak', defaultValue: '30m' }
        watch('errors') { check { ctx -> true }; every '1m' }
        step('size') { action { ctx -> 'small' }; readOnly() }
        bake 'soak', { params.soak }
        wait('settle') { output('size') == 'large' ? '20m' : '5m' }
        gate('go') { approval { approvers 'dev'; requesterMayApprove true } }
      }
      """;

  @Test
  void aScriptsDurationsComeFromItsParametersAndOutputs() {
    ScriptRunbook s = RunbookScripts.load("soak.runbook.groovy", SCRIPT);
    assertThat(Plan.of(s.runbook(), s.params(Map.of("soak", "45m"))).toText()).contains(
        "bake soak  [duration: 45m (params.soak)]",
        "sleep settle  [duration: output('size') == 'large' ? '20m' : '5m', when reached]",
        "1 of [dev], requester may approve");
    VirtualTime time = VirtualTime.create();
    java.time.Instant t0 = time.now();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).journal(new InMemoryJournal()).build()) {
      RunResult parked = engine.run(s.runbook(), s.params(Map.of("soak", "45m")),
          dev.runbook4j.RunOptions.defaults().withRequester("dev"));
      assertThat(Duration.between(t0, time.now())).isEqualTo(Duration.ofMinutes(50));
      engine.approve(parked.runId(), "go", "dev");
      assertThat(engine.handle(parked.runId()).await().state()).isEqualTo(RunState.SUCCEEDED);
    }
    assertThatThrownBy(() -> Plan.of(s.runbook(), s.params(Map.of("soak", "0s"))))
        .isInstanceOf(RunbookDefinitionException.class)
        .hasMessageContaining("bake 'soak': duration (params.soak) must be positive, was 0s");
  }

  @Test
  void aScriptBoundsItsWholeRun() {
    ScriptRunbook s = RunbookScripts.load("bounded.runbook.groovy", """
        runbook('bounded') {
          timeout '2h'
          step('a') { action { ctx -> 1 }; compensate { ctx, out -> } }
          wait 'long', '3h'
        }
        """);
    assertThat(Plan.of(s.runbook(), s.params(Map.of())).toText()).contains("timeout: 2h");
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(new InMemoryJournal())
        .build()) {
      assertThat(engine.run(s.runbook(), s.params(Map.of())).state()).isEqualTo(RunState.ROLLED_BACK);
    }
  }

  @Test
  void anApproverChoosesAndTheScriptBranchesOnIt() {
    ScriptRunbook s = RunbookScripts.load("judged.runbook.groovy", """
        runbook('judged') {
          gate('judgment') { approval { approvers 'lead'; options 'proceed', 'hold' } }
          choose('verdict') {
            when('hold', { output('judgment') == 'hold' }) { succeed 'held by the lead' }
            otherwise { step('promote') { action { ctx -> 'promoted' }; readOnly() } }
          }
        }
        """);
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(new InMemoryJournal())
        .build()) {
      RunResult parked = engine.run(s.runbook(), s.params(Map.of()));
      engine.approve(parked.runId(), "judgment", "lead", "", null, "hold");
      RunResult r = engine.handle(parked.runId()).await();
      assertThat(r.endedEarly()).contains("held by the lead");
    }
  }
}
