package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar in child processes: each run is bound to the script it started with, by content
 * hash, in a store no two run ids can share; an edited script is refused naming both hashes; a run
 * id that cannot be one is refused before anything is journaled.
 */
class BoundScriptsIT {
  @TempDir
  Path dir;

  private Cli.Result cli(String... args) throws Exception {
    return new Cli(dir).run(args);
  }

  private static String gated(String name, String step) {
    return """
        runbook('%s') {
          step('%s') { action { ctx -> 'done %s' }; compensate { ctx, out -> } }
          gate('approval') { approval { approvers 'alice' } }
          step('after') { action { ctx -> 'after' }; readOnly() }
        }
        """.formatted(name, step, step);
  }

  @Test
  void runIdsThatOnceSharedAFileNameEachResumeTheirOwnScript() throws Exception {
    Files.writeString(dir.resolve("one.runbook.groovy"), gated("one", "first-script"));
    Files.writeString(dir.resolve("two.runbook.groovy"), gated("two", "second-script"));
    assertThat(cli("run", "one.runbook.groovy", "--run-id", "rel 1", "--detach").code()).isEqualTo(4);
    assertThat(cli("run", "two.runbook.groovy", "--run-id", "rel_1", "--detach").code()).isEqualTo(4);
    assertThat(cli("approve", "rel 1", "approval", "--as", "alice").code()).isZero();
    assertThat(cli("approve", "rel_1", "approval", "--as", "alice").code()).isZero();
    Cli.Result first = cli("resume", "rel 1");
    assertThat(first.code()).as(first.both()).isZero();
    assertThat(first.out()).contains("run rel 1", "ended SUCCEEDED").doesNotContain("second-script");
    Cli.Result second = cli("resume", "rel_1");
    assertThat(second.code()).as(second.both()).isZero();
    assertThat(second.out()).contains("ended SUCCEEDED").doesNotContain("first-script");
    assertThat(cli("history", "rel_1", "--json").out()).contains("done second-script").doesNotContain("first-script");
  }

  @Test
  void anEditedScriptIsRefusedOnResumeAndApproveNamingBothHashesAndAVanishedOneIsReadFromItsCopy() throws Exception {
    Path script = dir.resolve("gated.runbook.groovy");
    Files.writeString(script, gated("gated", "ship"));
    assertThat(cli("run", "gated.runbook.groovy", "--run-id", "g1", "--detach").code()).isEqualTo(4);
    String journaled = cli("history", "g1", "--json").out();
    Files.writeString(script, gated("gated", "ship").replace("'after'", "'after, edited'"));
    Cli.Result approve = cli("approve", "g1", "approval", "--as", "alice");
    assertThat(approve.code()).as(approve.both()).isEqualTo(1);
    assertThat(approve.err()).contains("the script of run g1 has changed since the run started", "sha256:")
        .containsPattern("was sha256:[0-9a-f]{12} and is sha256:[0-9a-f]{12} now");
    Cli.Result resume = cli("resume", "g1");
    assertThat(resume.code()).isEqualTo(1);
    assertThat(resume.err()).contains("has changed since the run started");
    assertThat(cli("history", "g1", "--json").out()).isEqualTo(journaled);  // nothing was recorded
    // the file gone: the copy kept when the run started is its script
    Files.delete(script);
    assertThat(cli("approve", "g1", "approval", "--as", "alice").code()).isZero();  // the kept copy
    Cli.Result resumed = cli("resume", "g1");
    assertThat(resumed.code()).as(resumed.both()).isZero();
    assertThat(resumed.out()).contains("ended SUCCEEDED");
  }

  @Test
  void acceptingAChangedScriptIsJournaledAndVoidsTheApprovalsGivenBefore() throws Exception {
    Path script = dir.resolve("two.runbook.groovy");
    String v1 = """
        runbook('two-approvers') {
          step('stage') { action { ctx -> 'staged' }; compensate { ctx, out -> } }
          gate('approval') { approval { approvers 'alice', 'bob', 'carol'; minApprovals 2 } }
          step('after') { action { ctx -> 'after v1' }; readOnly() }
        }
        """;
    Files.writeString(script, v1);
    assertThat(cli("run", "two.runbook.groovy", "--run-id", "c1", "--detach").code()).isEqualTo(4);
    assertThat(cli("approve", "c1", "approval", "--as", "alice").out()).contains("more approvals are needed");
    Files.writeString(script, v1.replace("after v1", "after v2"));
    assertThat(cli("approve", "c1", "approval", "--as", "bob").code()).isEqualTo(1);  // changed: refused
    Cli.Result accepted = cli("approve", "c1", "approval", "--as", "bob", "--accept-changed-script");
    assertThat(accepted.code()).as(accepted.both()).isZero();
    assertThat(accepted.out()).contains("goes on with the changed script sha256:", "accepted by bob",
        "approvals given before no longer count", "more approvals are needed");  // alice's no longer counts
    assertThat(cli("history", "c1").out()).contains("plan accepted");
    assertThat(cli("approve", "c1", "approval", "--as", "carol").code()).isZero();  // bob and carol: two
    Cli.Result resumed = cli("resume", "c1");
    assertThat(resumed.code()).as(resumed.both()).isZero();
    assertThat(resumed.out()).contains("ended SUCCEEDED");
    assertThat(cli("history", "c1", "--json").out()).contains("after v2").doesNotContain("after v1");
  }

  @Test
  void aRunIdThatCannotBeOneIsRefusedBeforeAnythingIsJournaled() throws Exception {
    Files.writeString(dir.resolve("gated.runbook.groovy"), gated("gated", "ship"));
    Cli.Result tooLong = cli("run", "gated.runbook.groovy", "--run-id", "x".repeat(300));
    assertThat(tooLong.code()).isEqualTo(1);
    assertThat(tooLong.err()).contains("A run id must be at most 200 characters; this one has 300");
    Cli.Result control = cli("run", "gated.runbook.groovy", "--run-id", "bad\u001b[2Jid");
    assertThat(control.code()).isEqualTo(1);
    assertThat(control.err()).contains("must not hold control characters", "U+001B");
    assertThat(cli("status").out()).doesNotContain("gated");  // no run was journaled, no lock is held
  }
}
