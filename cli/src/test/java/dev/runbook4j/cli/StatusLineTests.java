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
    assertThat(StatusLine.render("r", events, T.plusSeconds(31)))
        .isEqualTo("run r: gate approval: 1 of 2 approvals (alice) · runbook4j approve r approval --as USER");
  }

  @Test
  void saysTheRunWaitsForALockRatherThanThatItRuns() {
    List<RunEvent> events = List.of(new RunEvent.LockWaiting("r", "checkout/prod", "run-7", T));
    assertThat(StatusLine.render("r", events, T)).isEqualTo("run r: waiting for lock checkout/prod (held by run-7)");
    List<RunEvent> got = List.of(events.get(0), new RunEvent.LockChanged("r", "checkout/prod", true, T.plusSeconds(9)),
        new RunEvent.StepStarted("r", "deploy", 1, "r:deploy", T.plusSeconds(9)));
    assertThat(StatusLine.render("r", got, T.plusSeconds(10))).isEqualTo("run r: step deploy");
  }

  @Test
  void aLineWiderThanTheTerminalIsCutWithAnEllipsis() {
    String id = "release-".repeat(20);
    List<RunEvent> events = List.of(new RunEvent.ApprovalRequested(id, "approval", "2 of [alice, bob]", 2, null, T));
    String line = StatusLine.render(id, events, T, 80);
    assertThat(line).hasSize(80).startsWith("run release-release-").endsWith("…");
    assertThat(StatusLine.render("r", List.of(), T, 80)).isEqualTo("run r: running");
  }

  /** A script's own print never runs into the status line: the line is cleared first, and drawn again. */
  @Test
  void otherOutputClearsTheStatusLineFirstAndHasItDrawnAgain() {
    java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
    java.io.PrintStream out = new java.io.PrintStream(ScrubbingStream.over(raw), true,
        java.nio.charset.StandardCharsets.UTF_8);
    Main.Progress progress = new Main.Progress(out);
    progress.terminal = true;
    try {
      progress.status("run r: step deploy");
      out.println("hello from the script");
      out.println("and again");
      String clear = ScrubbingStream.CLEAR_LINE;
      assertThat(raw.toString(java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(clear + "run r: step deploy" + clear + "hello from the script\nand again\n");
      assertThat(progress.cleared).isTrue();
    } finally {
      ScrubbingStream.statusGone();
    }
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
