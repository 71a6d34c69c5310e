package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar in child processes: control characters from a script's output, its error
 * messages and a user name given on the command line are printed escaped, so that nothing can clear
 * the screen and print a fake "ended SUCCEEDED" over what happened.
 */
class TerminalIT {
  @TempDir
  Path dir;

  @Test
  void controlCharactersFromScriptsMessagesAndArgumentsArePrintedEscaped() throws Exception {
    Files.writeString(dir.resolve("tricky.runbook.groovy"), """
        runbook('tricky') {
          step('paint') {
            action { ctx -> println "\\u001b[2J\\u001b[Hrun ended SUCCEEDED\\u202e"; 'painted' }
            compensate { ctx, out -> }
          }
          gate('approval') { approval { approvers 'alice' } }
          step('fail') { action { ctx -> throw new IllegalStateException("bad\\u001b[1A\\u0007") }; compensate { ctx, out -> } }
        }
        """);
    Cli cli = new Cli(dir);
    Cli.Result parked = cli.run("run", "tricky.runbook.groovy", "--run-id", "t1", "--detach");
    assertThat(parked.code()).as(parked.both()).isEqualTo(4);
    assertThat(parked.out()).contains("\\x1B[2J\\x1B[Hrun ended SUCCEEDED\\u202E").doesNotContain("\u001b[2J");
    Cli.Result approve = cli.run("approve", "t1", "approval", "--as", "mallory\u001b[2J");
    assertThat(approve.code()).isEqualTo(1);  // not an approver, and it says so escaped
    assertThat(approve.out() + approve.err()).contains("mallory\\x1B[2J").doesNotContain("\u001b");
    assertThat(cli.run("approve", "t1", "approval", "--as", "alice").code()).isZero();
    Cli.Result resumed = cli.run("resume", "t1");
    assertThat(resumed.code()).as(resumed.both()).isEqualTo(2);
    assertThat(resumed.out()).contains("bad\\x1B[1A\\x07").doesNotContain("\u001b").doesNotContain("\u0007");
    Cli.Result history = cli.run("history", "t1");
    assertThat(history.out()).doesNotContain("\u001b");
  }
}
