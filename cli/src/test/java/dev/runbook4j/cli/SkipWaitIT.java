package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A four-hour bake ended by hand from another shell: the run is started and detaches while it
 * bakes, a second process skips the bake (refused first for someone the wait does not name), a
 * third goes on with the run, which does not wait out the bake.
 */
class SkipWaitIT {
  @TempDir
  Path dir;

  @Test
  void aBakeIsSkippedFromAnotherShellAndTheRunGoesOnFromIt() throws Exception {
    Files.writeString(dir.resolve("bake.runbook.groovy"), """
        runbook('bake') {
          watch('errors') { check { ctx -> true }; every '1h' }
          step('shift') { action { ctx -> 'shifted' }; readOnly() }
          bake 'soak', '4h', skippableBy: ['oncall']
          step('promote') { action { ctx -> 'promoted' }; readOnly() }
        }
        """);
    Cli cli = new Cli(dir);
    Cli.Result first = cli.run("run", "bake.runbook.groovy", "--run-id", "b1", "--as", "dev", "--detach");
    assertThat(first.code()).as(first.both()).isEqualTo(4);

    Cli.Result refused = cli.run("skip", "b1", "soak", "--as", "mallory");
    assertThat(refused.code()).as(refused.both()).isNotZero();
    assertThat(refused.err()).contains("User 'mallory' may not skip wait 'soak'");

    Cli.Result skipped = cli.run("skip", "b1", "soak", "--as", "oncall", "--reason", "error rate flat");
    assertThat(skipped.code()).as(skipped.both()).isZero();

    Cli.Result resumed = cli.run("resume", "b1");
    assertThat(resumed.code()).as(resumed.both()).isZero();
    assertThat(cli.eventTypes("b1")).contains("WaitSkipped", "RunFinished");
    assertThat(cli.status("b1").get("state").asText()).isEqualTo("SUCCEEDED");
  }
}
