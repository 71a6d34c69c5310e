package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.Plan;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.Notification;
import dev.runbook4j.spi.VirtualTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** {@code on('...', channel: ...)} and {@code notify(...)} in a script. */
class NotifyDslTests {
  static final String SCRIPT = """
      runbook('announce') {
        parameters {
          string 'version', required: true
          secret 'token'
        }
        on('started', channel: 'chat') { ctx -> "deploying ${params.version}" }
        on('rolledBack', channel: 'oncall') { ctx -> "rolled back ${params.version} (${params.token.reveal()})" }
        step('push') {
          action { ctx -> throw new IllegalStateException('registry down') }
          compensate { ctx, out -> }
        }
        notify('tell', channel: 'chat') { ctx -> 'pushed' }
      }
      """;

  @Test
  void aScriptsHooksSendTheirMessagesMasked() {
    ScriptRunbook s = RunbookScripts.load("announce.runbook.groovy", SCRIPT);
    List<Notification> got = new CopyOnWriteArrayList<>();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(new InMemoryJournal())
        .notifier("chat", got::add).notifier("oncall", got::add).build()) {
      RunResult r = engine.run(s.runbook(), s.params(Map.of("version", "2.0", "token", "tok-77-s3cr3t")));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
    }
    assertThat(got).extracting(Notification::event, Notification::text).containsExactly(
        org.assertj.core.groups.Tuple.tuple("started", "deploying 2.0"),
        org.assertj.core.groups.Tuple.tuple("rolledBack", "rolled back 2.0 (***)"));
    assertThat(Plan.of(s.runbook(), s.params(Map.of("version", "2.0", "token", "x"))).toText())
        .contains("messages: started → chat, rolledBack → oncall", "step tell  [notify: chat;");
  }

  @Test
  void aHookThatIsNoneIsReportedAtItsLine() {
    String source = """
        runbook('bad') {
          on('finished', channel: 'chat') { ctx -> 'x' }
          step('a') { action { ctx -> 1 }; readOnly() }
        }
        """;
    assertThatThrownBy(() -> RunbookScripts.load("bad.runbook.groovy", source))
        .isInstanceOf(ScriptException.class)
        .satisfies(e -> assertThat(((ScriptException) e).scriptProblems()).map(ScriptProblem::toString)
            .singleElement().asString().startsWith("bad.runbook.groovy:2:").contains("'finished' is not a run hook;"
                + " use started, awaitingApproval, succeeded, rolledBack or rollbackFailed"));
  }
}
