package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real shaded jar in a child process, in a temporary directory: each command and each exit
 * code, the approval flow between two processes, and secrets that never reach any file.
 */
class CliIT {
  static final String SENTINEL = "s3ntinel-TOKEN-4711";

  @TempDir
  Path dir;

  private Cli.Running start(String... args) throws IOException {
    return new Cli(dir).start(args);
  }

  private Cli.Result cli(String... args) throws Exception {
    return new Cli(dir).run(args);
  }

  private Path script(String name, String text) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  private static final String APPROVE = """
      runbook('approve-me') {
        parameters { string 'version', required: true; secret 'token' }
        step('stage') { action { ctx -> "staged ${params.version}" }; compensate { ctx, out -> } }
        gate('approval') { approval { approvers 'alice', 'bob', 'carol'; minApprovals 2 } }
        step('ship') { action { ctx -> "shipped, token of ${params.token.reveal().length()} chars" }; compensate { ctx, out -> } }
      }
      """;

  @Test
  void validateReportsEveryProblemWithItsPlaceAndExitsOne() throws Exception {
    script("ok.runbook.groovy", "runbook('ok') { step('a') { action { 1 }; readOnly() } }\n");
    script("bad.runbook.groovy", "runbook('bad') {\n  step('a') { actoin { 1 }; readOnly() }\n}\n");
    assertThat(cli("validate", "ok.runbook.groovy")).satisfies(r -> {
      assertThat(r.code()).isZero();
      assertThat(r.out()).contains("ok.runbook.groovy: ok, runbook 'ok'");
    });
    Cli.Result bad = cli("validate", "ok.runbook.groovy", "bad.runbook.groovy");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("bad.runbook.groovy:2:15: unknown keyword 'actoin' in step 'a' (did you mean"
        + " 'action'?)");
    assertThat(bad.err()).contains("bad.runbook.groovy:2:3: step 'a' has no action");
  }

  @Test
  void planPrintsTextJsonMermaidAndDifferences() throws Exception {
    script("v1.runbook.groovy", "runbook('r') { parameters { string 'v' }; step('a') { action { 1 }; readOnly() } }\n");
    script("v2.runbook.groovy", "runbook('r') { parameters { string 'v' }; step('a') { action { 1 }; readOnly() };"
        + " step('b') { action { 2 }; irreversible() } }\n");
    assertThat(cli("plan", "v1.runbook.groovy", "-p", "v=1").out()).contains("Plan for runbook 'r'", "step a");
    JsonNode json = new ObjectMapper().readTree(cli("plan", "v1.runbook.groovy", "-p", "v=1", "--format", "json")
        .out());
    assertThat(json.get("runbook").asText()).isEqualTo("r");
    assertThat(cli("plan", "v1.runbook.groovy", "--format", "mermaid").out()).startsWith("flowchart");
    Cli.Result diff = cli("plan", "v1.runbook.groovy", "--diff", "v2.runbook.groovy");
    assertThat(diff.code()).as("plans that differ: 1, as diff(1)").isEqualTo(1);
    assertThat(diff.out()).contains("+   step b");
    Cli.Result same = cli("plan", "v1.runbook.groovy", "--diff", "v1.runbook.groovy");
    assertThat(same.code()).isZero();
    assertThat(same.out()).contains("the plans are the same");
    Cli.Result one = cli("validate", "v1.runbook.groovy");
    assertThat(one.out()).contains("v1.runbook.groovy: ok, runbook 'r', 1 parameter").doesNotContain("1 parameters");
    Cli.Result unknown = cli("status", "no-such-run");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("No run 'no-such-run'", "(runbook4j status lists the runs)")
        .doesNotContain("history()");
    assertThat(cli("plan", "v1.runbook.groovy", "--format", "yaml").code()).isEqualTo(1);
  }

  private static final String FILES = """
      runbook('files') {
        parameters { string 'dir', required: true; bool 'forget' }
        invariant('no file is left after a rollback', when: 'rolledBack') { params -> new File(params.dir).list().length == 0 }
        testReset { params -> new File(params.dir).listFiles().each { it.delete() } }
        watch('alarm') { check { ctx -> !new File(params.dir, 'alarm').exists() }; every '5m' }
        step('stage') {
          action { ctx -> new File(params.dir, 'stage').text = 'v2' }
          compensate { ctx, out -> if (!params.forget) new File(params.dir, 'stage').delete() }
        }
        gate('go') { approval { approvers 'alice' } }
        step('ship') {
          action { ctx -> new File(params.dir, 'ship').text = 'v2' }
          compensate { ctx, out -> new File(params.dir, 'ship').delete() }
        }
        bake('soak', 1.hours)
      }
      """;

  @Test
  void testExploresEveryFailurePathOfAScriptAndExitsSixWhenOneDoesNotHold() throws Exception {
    script("files.runbook.groovy", FILES);
    Files.createDirectories(dir.resolve("target-dir"));
    String target = dir.resolve("target-dir").toString();
    Cli.Result ok = cli("test", "files.runbook.groovy", "-p", "dir=" + target);
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("of runbook 'files' (seed 1)", "  ok    no fault → succeeds",
        "  ok    fail 'ship' by timeout → compensates ship, stage",
        "  ok    reject gate 'go' → compensates stage",
        "  ok    breach watch 'alarm' during 'soak' → compensates ship, stage",
        "  ok    fail undo of 'stage' in the rollback after fail 'ship' → rollback fails, compensates ship, leaves"
            + " 'stage'",
        "  ok    crash before write 1 (run started 'files'");
    assertThat(ok.out()).containsPattern("All \\d+ failure paths hold.");

    Cli.Result bad = cli("test", "files.runbook.groovy", "-p", "dir=" + target, "-p", "forget=true", "--no-crashes",
        "--journal-of-failures");
    assertThat(bad.code()).isEqualTo(6);
    assertThat(bad.out()).contains("  FAIL  fail 'ship' → compensates ship, stage",
        "- invariant 'no file is left after a rollback' does not hold",
        "  ok    no fault → succeeds", "failure paths do not hold.", "step failed");
    // nothing went to the command line's own journal
    assertThat(dir.resolve(".runbook4j").resolve("journal.db")).doesNotExist();
  }

  /** Its forEach has one item fewer once a run has restarted a host: the faults meant for the second are not reached. */
  private static final String SHRINKS = """
      runbook('shrinks') {
        parameters { string 'marker', required: true }
        step('a') { action { 1 }; compensate { ctx -> } }
        step('b') { action { 1 }; compensate { ctx -> } }
        forEach('hosts', items: { new File(params.marker).exists() ? ['h1'] : ['h1', 'h2'] }, maxConcurrency: 1, maxErrors: 0) { item ->
          step('restart') { action { println "restarting ${item}"; new File(params.marker).text = 'ran'; item }; compensate { ctx -> } }
        }
      }
      """;

  @Test
  void testCountsPathsThatDidNotReachTheirFaultApartAndSaysWhatItPruned() throws Exception {
    script("shrinks.runbook.groovy", SHRINKS);
    String marker = dir.resolve("marker").toString();
    Cli.Result lenient = cli("test", "shrinks.runbook.groovy", "-p", "marker=" + marker, "--no-crashes");
    assertThat(lenient.code()).as(lenient.out() + lenient.err()).isZero();
    // each path's line comes as the path ends, so what the script printed is just above the path that printed it
    String out = lenient.out();
    assertThat(out.indexOf("restarting h1")).isNotNegative().isLessThan(out.indexOf("  ok    no fault → succeeds"));
    assertThat(out.indexOf("Explored ")).isGreaterThan(out.lastIndexOf("  ok    "));
    assertThat(lenient.out()).contains("  n/a   fail 'hosts[h2]/restart' → ", "(the run did not reach the fault)",
        "combinations pruned: a compensation failing in a rollback other than the longest and the one it heads")
        .containsPattern("all hold, but \\d+ paths did not reach their fault \\(proving nothing about it\\)\\.")
        .containsPattern("\\d+ of \\d+ failure paths hold; \\d+ paths did not reach their fault and prove nothing"
            + " about it \\(--strict would fail them\\)\\.");

    Files.delete(Path.of(marker));
    Cli.Result strict = cli("test", "shrinks.runbook.groovy", "-p", "marker=" + marker, "--no-crashes", "--strict");
    assertThat(strict.code()).as(strict.out() + strict.err()).isEqualTo(6);
    assertThat(strict.out()).contains("(--strict fails them).");

    Files.delete(Path.of(marker));
    Cli.Result all = cli("test", "shrinks.runbook.groovy", "-p", "marker=" + marker, "--no-crashes", "--exhaustive");
    assertThat(all.code()).isZero();
    assertThat(all.out()).doesNotContain("pruned")
        .contains("fail undo of 'a' in the rollback after fail 'b' → rollback fails, compensates b, leaves 'a'");
    assertThat(lenient.out()).doesNotContain("fail undo of 'a' in the rollback after fail 'b' →");
  }

  @Test
  void runExitsWithTheRunsEndState() throws Exception {
    script("ok.runbook.groovy", "runbook('ok') { step('a') { action { 1 }; compensate { ctx -> } } }\n");
    script("fails.runbook.groovy", "runbook('fails') { step('a') { action { 1 }; compensate { ctx -> } };"
        + " step('b') { action { throw new IllegalStateException('boom') }; compensate { ctx -> } } }\n");
    script("undo-fails.runbook.groovy", "runbook('undo') { step('a') { action { 1 };"
        + " compensate { ctx -> throw new IllegalStateException('stuck') } };"
        + " step('b') { action { throw new IllegalStateException('boom') }; readOnly() } }\n");
    script("aborts.runbook.groovy", "runbook('aborts') { step('a') { action { throw new IllegalStateException('x') };"
        + " readOnly(); onFailure 'abort' } }\n");
    assertThat(cli("run", "ok.runbook.groovy").code()).isEqualTo(0);
    Cli.Result rolled = cli("run", "fails.runbook.groovy");
    assertThat(rolled.code()).isEqualTo(2);
    assertThat(rolled.out()).contains("rolling back", "undid a", "ended ROLLED_BACK");
    assertThat(cli("run", "undo-fails.runbook.groovy").code()).isEqualTo(3);
    assertThat(cli("run", "aborts.runbook.groovy").code()).isEqualTo(5);
    assertThat(cli("run", "ok.runbook.groovy", "-p", "nope=1").code()).isEqualTo(1);
    assertThat(cli("run", "missing.runbook.groovy").code()).isEqualTo(1);
  }

  @Test
  void theApprovalFlowThroughTheCommandLine() throws Exception {
    script("approve.runbook.groovy", APPROVE);
    Process run = start("run", "approve.runbook.groovy", "-p", "version=1.4.2", "-p", "token=" + SENTINEL,
        "--run-id", "r1", "--as", "dave").process;
    // wait until the run awaits approval (its status says so)
    for (int i = 0; i < 600; i++) {
      Cli.Result s = cli("status", "r1", "--json");
      if (s.code() == 0 && new ObjectMapper().readTree(s.out()).get("state").asText().equals("AWAITING_APPROVAL")) {
        break;
      }
      Thread.sleep(100);  // a real child process: real time
    }
    Cli.Result requester = cli("approve", "r1", "approval", "--as", "dave");
    assertThat(requester.code()).isEqualTo(1);
    assertThat(requester.err()).contains("User 'dave' requested run r1");
    Cli.Result first = cli("approve", "r1", "approval", "--as", "alice");
    assertThat(first.code()).isZero();
    assertThat(first.out()).contains("more approvals are needed");
    assertThat(cli("approve", "r1", "approval", "--as", "alice").code()).isZero();  // the same person again counts once
    assertThat(new ObjectMapper().readTree(cli("status", "r1", "--json").out()).get("state").asText())
        .isEqualTo("AWAITING_APPROVAL");
    assertThat(cli("approve", "r1", "approval", "--as", "bob").code()).isZero();
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).isZero();
    JsonNode status = new ObjectMapper().readTree(cli("status", "r1", "--json").out());
    assertThat(status.get("state").asText()).isEqualTo("SUCCEEDED");
    JsonNode history = new ObjectMapper().readTree(cli("history", "r1", "--json").out());
    assertThat(history.findValuesAsText("type")).contains("ApprovalGranted", "GatePassed", "RunFinished");
    assertThat(cli("history").out()).contains("run started", "approval granted", "run finished");  // the latest run
    assertNoSecretAnywhere();
  }

  @Test
  void detachParksWithFourAndResumeFinishesAfterTheApprovals() throws Exception {
    script("approve.runbook.groovy", APPROVE);
    Cli.Result detached = cli("run", "approve.runbook.groovy", "-p", "version=2.0.0", "-p", "token=" + SENTINEL,
        "--run-id", "r2", "--as", "dave", "--detach");
    assertThat(detached.code()).isEqualTo(4);
    assertThat(detached.out()).contains("approve with: runbook4j approve r2 approval --as USER");
    Cli.Result first = cli("approve", "r2", "approval", "--as", "carol");
    assertThat(first.code()).isZero();
    assertThat(first.out()).contains("approved gate 'approval' of run r2 as carol; more approvals are needed");
    Cli.Result last = cli("approve", "r2", "approval", "--as", "bob");
    assertThat(last.code()).isZero();
    assertThat(last.out()).contains("approved gate 'approval' of run r2 as bob; the gate passed: nobody drives the run"
        + " now: it goes on when resumed: runbook4j resume r2");
    Cli.Result resumed = cli("resume", "r2", "-p", "token=" + SENTINEL);
    assertThat(resumed.code()).isZero();
    assertThat(resumed.out()).contains("step ship done", "ended SUCCEEDED");
    assertThat(cli("approve", "r2", "no-such-gate", "--as", "bob").code()).isEqualTo(1);
    assertThat(cli("status", "no-such-run").code()).isEqualTo(1);
    assertNoSecretAnywhere();
  }

  @Test
  void aCancelledParkedRunRollsBackWhenResumed() throws Exception {
    script("approve.runbook.groovy", APPROVE);
    assertThat(cli("run", "approve.runbook.groovy", "-p", "version=3.0.0", "--run-id", "r3", "--detach").code())
        .isEqualTo(4);
    assertThat(cli("cancel", "r3", "--as", "oncall", "--reason", "not today").code()).isZero();
    Cli.Result resumed = cli("resume", "r3");
    assertThat(resumed.code()).isEqualTo(2);
    assertThat(resumed.out()).contains("undid stage");
  }

  @Test
  void aRejectedGateRollsTheRunBack() throws Exception {
    script("approve.runbook.groovy", APPROVE);
    assertThat(cli("run", "approve.runbook.groovy", "-p", "version=4.0.0", "--run-id", "r4", "--as", "dave",
        "--detach").code()).isEqualTo(4);
    Cli.Result rejected = cli("reject", "r4", "approval", "--as", "carol", "--reason", "failing canary");
    assertThat(rejected.code()).isZero();
    assertThat(rejected.out()).contains("rejected gate 'approval' of run r4 as carol; the run rolls back: nobody"
        + " drives the run now: it goes on when resumed: runbook4j resume r4");
    Cli.Result resumed = cli("resume", "r4");
    assertThat(resumed.code()).isEqualTo(2);
    assertThat(resumed.out()).contains("rejected by carol: failing canary");
    assertThat(cli("reject", "r4", "approval", "--as", "bob").code()).isEqualTo(1);  // it has ended
  }

  /** The secret's value is nowhere: no output, no file under the directory (journal, logs). */
  private void assertNoSecretAnywhere() throws IOException {
    List<String> forms = List.of(SENTINEL, Base64.getEncoder().encodeToString(SENTINEL.getBytes(StandardCharsets.UTF_8)),
        URLEncoder.encode(SENTINEL, StandardCharsets.UTF_8), new StringBuilder(SENTINEL).reverse().toString());
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(f);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        for (String form : forms) {
          assertThat(text).as("%s must not hold the secret (%s)", f.getFileName(), form).doesNotContain(form);
        }
      }
    }
  }
}
