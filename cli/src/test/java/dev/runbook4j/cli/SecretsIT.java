package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar in child processes: a secret a script puts everywhere it can — exception messages
 * and their causes, a compensation's error, outputs plain and encoded, {@code println} (whole, and in
 * pieces flushed one by one),
 * {@code "${params}"}, a log line — appears in no byte of any file under the working directory
 * (journal, script index, cache, every command's captured output) in any encoding; a resume
 * without a secret the run needs is refused naming it; secrets come from the environment and from
 * a file, end to end.
 */
class SecretsIT {
  static final String SENTINEL = "s3ntinel-TOKEN/4711+zz";

  @TempDir
  Path dir;

  /** Outside the working directory: where a secret file lives (it holds the value, by design). */
  @TempDir
  Path vault;

  private Cli.Result cli(String... args) throws Exception {
    return new Cli(dir).run(args);
  }

  private Cli.Result cli(Map<String, String> env, String... args) throws Exception {
    return new Cli(dir).start(env, args).result();
  }

  static final String LEAKY = """
      runbook('leaky') {
        parameters { string 'version', required: true; secret 'token', required: true }
        step('typed') {
          action { ctx ->
            println "token is ${params.token}, params are ${params}, raw ${params.token.reveal()}"
            def t = params.token.reveal()
            print "in pieces: " + t.substring(0, 4); System.out.flush(); print t.substring(4); System.out.flush(); println ''
            org.slf4j.LoggerFactory.getLogger('leaky').warn('logging the token {}', params.token.reveal())
            'Basic ' + ('deployer:' + params.token.reveal()).bytes.encodeBase64().toString()
          }
          compensate { ctx, out -> throw new IllegalStateException('undo failed with ' + params.token.reveal()) }
        }
        step('encoded') {
          action { ctx -> [hex: params.token.reveal().bytes.encodeHex().toString(),
                           url: java.net.URLEncoder.encode(params.token.reveal(), 'UTF-8'),
                           b64: params.token.reveal().bytes.encodeBase64().toString()] }
          compensate { ctx, out -> }
        }
        step('boom') {
          action { ctx -> throw new RuntimeException('outer ' + params.token.reveal(),
              new IllegalArgumentException('bad credential ' + params.token.reveal())) }
          compensate { ctx, out -> }
        }
      }
      """;

  static final String APPROVE = """
      runbook('approve-me') {
        parameters { secret 'token', required: true }
        step('stage') { action { ctx -> "staged" }; compensate { ctx, out -> } }
        gate('approval') { approval { approvers 'alice', 'bob'; minApprovals 1 } }
        step('ship') { action { ctx -> "shipped with a token of ${params.token.reveal().length()} chars" }; compensate { ctx, out -> } }
      }
      """;

  @Test
  void aSecretAScriptPutsEverywhereAppearsInNoFileAndNoOutputInAnyEncoding() throws Exception {
    Files.writeString(dir.resolve("leaky.runbook.groovy"), LEAKY);
    List<Cli.Result> results = new ArrayList<>();
    Cli.Result run = cli("run", "leaky.runbook.groovy", "-p", "version=1.0", "-p", "token=" + SENTINEL, "--run-id", "l1");
    results.add(run);
    assertThat(run.code()).as(run.both()).isEqualTo(3);  // the compensation failed: ROLLBACK_FAILED
    assertThat(run.out() + run.err()).contains("token is ***", "params are [version:1.0, token:***]", "raw ***",
        "in pieces: ***",
        "failed after 1 attempt: RuntimeException (outer ***)", "undo failed with ***");
    for (String[] cmd : List.of(new String[] {"status", "l1"}, new String[] {"status", "l1", "--json"},
        new String[] {"history", "l1"}, new String[] {"history", "l1", "--json"}, new String[] {"status"})) {
      Cli.Result r = cli(cmd);
      assertThat(r.code()).as(r.both()).isZero();
      results.add(r);
    }
    assertThat(results.get(4).out()).contains("RuntimeException: outer ***");
    for (Cli.Result r : results) {
      assertNoForm("output of a command", r.out() + r.err());
    }
    assertNoFileHoldsTheSecret();
  }

  @Test
  void aResumeWithoutTheSecretIsRefusedNamingItAndSecretsComeFromTheEnvironmentAndAFile() throws Exception {
    Files.writeString(dir.resolve("approve.runbook.groovy"), APPROVE);
    Cli.Result parked = cli(Map.of("RB_TOKEN", SENTINEL), "run", "approve.runbook.groovy", "--secret-env",
        "token=RB_TOKEN", "--run-id", "a1", "--detach");
    assertThat(parked.code()).as(parked.both()).isEqualTo(4);
    assertThat(cli("approve", "a1", "approval", "--as", "alice").code()).isZero();
    Cli.Result refused = cli("resume", "a1");
    assertThat(refused.code()).as(refused.both()).isEqualTo(1);
    assertThat(refused.err()).contains("run a1 needs its secret 'token' given again", "nothing was resumed");
    assertThat(cli("history", "a1").out()).doesNotContain("run resumed");  // nothing was journaled
    Cli.Result unset = cli("resume", "a1", "--secret-env", "token=RB_NOT_SET");
    assertThat(unset.code()).isEqualTo(1);
    assertThat(unset.err()).contains("--secret-env token: the environment variable RB_NOT_SET is not set or empty");
    Path file = vault.resolve("token.txt");
    Files.writeString(file, SENTINEL + "\n");
    Cli.Result resumed = cli("resume", "a1", "--secret-file", "token=" + file);
    assertThat(resumed.code()).as(resumed.both()).isZero();
    assertThat(resumed.out()).contains("step ship done", "ended SUCCEEDED");
    assertThat(cli("history", "a1", "--json").out()).contains("shipped with a token of " + SENTINEL.length() + " chars");
    Cli.Result wrongKind = cli("run", "approve.runbook.groovy", "--secret-file", "version=" + file);
    assertThat(wrongKind.code()).isEqualTo(1);
    assertThat(wrongKind.err()).contains("the runbook declares no secret 'version'");
    assertNoFileHoldsTheSecret();
  }

  @Test
  void aJournalUrlsPasswordIsInNoMessage() throws Exception {
    Cli.Result r = cli("status", "--journal", "jdbc:postgresql://deployer:Pa55-w0rd-x@127.0.0.1:1/none");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out() + r.err()).doesNotContain("Pa55-w0rd-x").contains("runbook4j:");
  }

  static List<String> forms(String v) {
    byte[] b = v.getBytes(StandardCharsets.UTF_8);
    return List.of(v, Base64.getEncoder().encodeToString(b), Base64.getUrlEncoder().withoutPadding().encodeToString(b),
        URLEncoder.encode(v, StandardCharsets.UTF_8), HexFormat.of().formatHex(b),
        // the characters only the secret's bytes decide
        Base64.getEncoder().encodeToString(("deployer:" + v).getBytes(StandardCharsets.UTF_8))
            .substring(12, 12 + b.length / 3 * 4));
  }

  static void assertNoForm(String where, String text) {
    for (String f : forms(SENTINEL)) {
      assertThat(text).as("%s must not show the secret as %s:%n%s", where, f, text).doesNotContain(f);
    }
  }

  private void assertNoFileHoldsTheSecret() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String form : forms(SENTINEL)) {
          assertThat(text).as("%s must not hold the secret (%s)", dir.relativize(f), form).doesNotContain(form);
        }
      }
    }
  }
}
