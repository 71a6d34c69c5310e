package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.Wait;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusLineTests {
  static final Instant T = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void showsTheStepAndItsAttempt() {
    List<RunEvent> events = List.of(new RunEvent.StepStarted("r", "deploy", 1, "r:deploy", T),
        new RunEvent.StepFailed("r", "deploy", 1, "503", true, T.plusSeconds(1)),
        new RunEvent.StepStarted("r", "deploy", 2, "r:deploy", T.plusSeconds(5)));
    assertThat(StatusLine.render("r", events, T.plusSeconds(6))).isEqualTo("run r: step deploy (attempt 2)");
  }

  @Test
  void showsTheTimeLeftInABake() {
    List<RunEvent> events = List.of(new RunEvent.WaitStarted("r", "soak", Wait.Kind.BAKE, T.plusSeconds(600), T));
    assertThat(StatusLine.render("r", events, T.plusSeconds(48).plusMillis(300))).isEqualTo("run r: soak: 9m11s left");
  }

  @Test
  void showsWhoStillHasToApproveAndTheCommand() {
    List<RunEvent> events = List.of(
        new RunEvent.ApprovalRequested("r", "approval", "2 of [alice, bob, carol], requester excluded", 2, null, T),
        new RunEvent.ApprovalGranted("r", "approval", "alice", "", "h", T.plusSeconds(30)));
    assertThat(StatusLine.render("r", events, T.plusSeconds(31))).isEqualTo("run r: gate approval awaits approval:"
        + " 1 of 2 (alice) from 2 of [alice, bob, carol], requester excluded · runbook4j approve r approval --as USER");
  }

  @Test
  void showsTheRollbackAndTheEnd() {
    List<RunEvent> rolling = List.of(new RunEvent.StepStarted("r", "a", 1, "r:a", T),
        new RunEvent.RollbackStarted("r", "boom", List.of("a"), T), new RunEvent.CompensationStarted("r", "a", 1, T));
    assertThat(StatusLine.render("r", rolling, T)).isEqualTo("run r rolling back: undo a");
    assertThat(StatusLine.render("r", List.of(new RunEvent.RunFinished("r", RunState.ROLLED_BACK, "x", T)), T))
        .isEqualTo("run r: ROLLED_BACK");
  }
}
