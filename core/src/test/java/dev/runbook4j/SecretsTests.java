package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.EventCodec;
import dev.runbook4j.spi.VirtualTime;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A secret of the run's parameters never leaves user code in clear: not in the journal's bytes,
 * not in a listener's event, not in a log line, not in the exceptions of the run's result —
 * whether user code puts it into an exception message (a nested cause too), a compensation's
 * error, an output (plain and encoded) or a gate's reason.
 */
class SecretsTests {
  static final String SENTINEL = "s3ntinel-Tok3n/9+x";

  record Params(String service, Secret token) {}

  record Release(String version, String header) {}

  @TempDir
  Path dir;

  /** Every form the secret must not appear in. */
  static List<String> forms(String v) {
    byte[] b = v.getBytes(StandardCharsets.UTF_8);
    return List.of(v, Base64.getEncoder().encodeToString(b), Base64.getUrlEncoder().withoutPadding().encodeToString(b),
        URLEncoder.encode(v, StandardCharsets.UTF_8), HexFormat.of().formatHex(b),
        // inside a longer base64 text, as in a Basic authorization header
        // the characters only the secret's bytes decide
        Base64.getEncoder().encodeToString(("deployer:" + v).getBytes(StandardCharsets.UTF_8))
            .substring(12, 12 + b.length / 3 * 4));
  }

  static void assertNoForm(String where, String text) {
    for (String f : forms(SENTINEL)) {
      assertThat(text).as("%s must not show the secret as %s", where, f).doesNotContain(f);
    }
  }

  private Runbook<Params> runbook() {
    return Runbook.builder("leaky", Params.class)
        .step(StepKey.of("typed", Release.class), s -> s.action(ctx -> new Release("1.2",
            "Basic " + Base64.getEncoder().encodeToString(("deployer:" + ctx.params().token().reveal())
                .getBytes(StandardCharsets.UTF_8))))
            .compensate((ctx, out) -> {
              throw new IllegalStateException("undo failed with token " + ctx.params().token().reveal());
            }))
        .step("untyped", s -> s.action(ctx -> Map.of(
            "hex", HexFormat.of().formatHex(ctx.params().token().reveal().getBytes(StandardCharsets.UTF_8)),
            "url", "https://x/?t=" + URLEncoder.encode(ctx.params().token().reveal(), StandardCharsets.UTF_8),
            ctx.params().token().reveal(), "as a key"))
            .compensate((ctx, out) -> {}))
        .gate("check", g -> g.check(ctx -> GateDecision.recheck("waiting on " + ctx.params().token().reveal()))
            .every(java.time.Duration.ofMinutes(1)).timeout(java.time.Duration.ofMinutes(3)).onFailure(OnFailure.CONTINUE))
        .step("boom", s -> s.action(ctx -> {
          throw new RuntimeException("outer " + ctx.params().token(),  // toString: masked by the type itself
              new IllegalArgumentException("bad credential " + ctx.params().token().reveal()));
        }).compensate((ctx, out) -> {}))
        .build();
  }

  @Test
  void aSecretPutIntoErrorsOutputsReasonsAndLogsAppearsNowhereInAnyEncoding() throws Exception {
    Path db = dir.resolve("journal.db");
    List<RunEvent> heard = new CopyOnWriteArrayList<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    Logger ours = (Logger) LoggerFactory.getLogger("dev.runbook4j");
    ch.qos.logback.classic.Level level = ours.getLevel();
    ours.setLevel(ch.qos.logback.classic.Level.DEBUG);  // every line the engine logs
    RunResult r;
    VirtualTime time = VirtualTime.create();
    try (JdbcJournal j = JdbcJournal.sqlite(db);
        RunbookEngine e = RunbookEngine.builder().virtualTime(time).journal(j).noParking().listener(heard::add)
            .build()) {
      RunHandle h = e.start(runbook(), new Params("web", Secret.of(SENTINEL)), RunOptions.defaults());
      time.advance(java.time.Duration.ofMinutes(10));
      r = h.result().join();
      assertThat(r.state()).isEqualTo(RunState.ROLLBACK_FAILED);
      // what the Java caller gets: the result's outputs and its failure with every cause and suppressed one
      assertNoForm("the outputs", String.valueOf(r.outputs()));
      ByteArrayOutputStream trace = new ByteArrayOutputStream();
      r.failure().orElseThrow().printStackTrace(new PrintStream(trace, true, StandardCharsets.UTF_8));
      assertNoForm("the failure's stack trace", trace.toString(StandardCharsets.UTF_8));
      assertThat(trace.toString(StandardCharsets.UTF_8)).contains("bad credential ***", "IllegalArgumentException",
          "undo failed with token ***");
      List<RunEvent> read = j.read(r.runId());
      for (RunEvent ev : read) {
        assertNoForm("the journal's " + ev.getClass().getSimpleName(), EventCodec.write(ev));
      }
      assertThat(read.stream().filter(ev -> ev instanceof RunEvent.StepFailed).map(ev -> ((RunEvent.StepFailed) ev)
          .error())).containsExactly("RuntimeException: outer ***");
    } finally {
      root.detachAppender(logs);
      ours.setLevel(level);
    }
    for (RunEvent ev : heard) {
      assertNoForm("the listener's " + ev.getClass().getSimpleName(), EventCodec.write(ev) + ev);
    }
    assertThat(heard).isNotEmpty();
    StringBuilder logText = new StringBuilder();
    for (ILoggingEvent le : logs.list) {
      logText.append(le.getFormattedMessage()).append('\n');
      for (IThrowableProxy t = le.getThrowableProxy(); t != null; t = t.getCause()) {
        logText.append(t.getClassName()).append(": ").append(t.getMessage()).append('\n');
      }
    }
    assertNoForm("the log", logText.toString());
    assertThat(logText).contains("undo failed with token ***");
    // and the file itself, every byte (the WAL and shared-memory files beside it too)
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        assertNoForm(f.getFileName().toString(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
  }

  @Test
  void aLaterStepAndACompensationSeeTheOutputMaskedAsJournaled() {
    List<Object> seen = new ArrayList<>();
    Runbook<Params> rb = Runbook.builder("masked", Params.class)
        .step("echo", s -> s.action(ctx -> "token=" + ctx.params().token().reveal()).compensate((ctx, out) -> seen.add(out)))
        .step("reader", s -> s.action(ctx -> {
          seen.add(ctx.output("echo"));
          throw new IllegalStateException("stop");
        }).compensate((ctx, out) -> {}))
        .build();
    try (RunbookEngine e = RunbookEngine.builder().build()) {
      RunResult r = e.run(rb, new Params("web", Secret.of(SENTINEL)));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
    }
    assertThat(seen).containsExactly("token=***", "token=***");
  }

  @Test
  void aSecretReadsMaskedInEveryStringFormAndIsReadOnlyByReveal() {
    Secret s = Secret.of(SENTINEL);
    assertThat(s.toString()).isEqualTo("***");
    assertThat("x" + s).isEqualTo("x***");
    assertThat(String.valueOf(Map.of("token", s))).isEqualTo("{token=***}");
    assertThat(String.valueOf(new Params("web", s))).doesNotContain(SENTINEL);
    assertThat(EventCodec.write(new RunEvent.StepSucceeded("r", "s", 1, new Params("web", s),
        java.time.Instant.EPOCH))).contains("\"token\":\"***\"").doesNotContain(SENTINEL);
    assertThat(s.reveal()).isEqualTo(SENTINEL);
    assertThat(s).isEqualTo(Secret.of(SENTINEL)).isNotEqualTo(Secret.of("other"));
    assertThat(Secret.findIn(new Params("web", s))).containsExactly(s);
    assertThat(Secret.findIn(Map.of("a", List.of(Map.of("b", s))))).containsExactly(s);
    assertThatThrownBy(() -> Secret.of("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theScrubberHoldsBackATailThatCouldBeginASecretAndNothingElse() {
    Scrubber sc = Scrubber.ofValues(List.of("hunter22"));
    assertThat(sc.heldBack("the token is hunt")).isEqualTo(4);
    assertThat(sc.heldBack("the token is h")).isEqualTo(1);
    assertThat(sc.heldBack("the token is hunter22")).isZero();  // whole: scrubbed, nothing to wait for
    assertThat(sc.heldBack("nothing here.")).isZero();
    assertThat(sc.heldBack("hex 68756e")).isEqualTo(6);  // the start of its hex form
    assertThat(Scrubber.NONE.heldBack("anything")).isZero();
  }

  @Test
  void theScrubberMasksEachEncodingAndLeavesOtherTextAlone() {
    Scrubber sc = Scrubber.of(List.of(Secret.of(SENTINEL)));
    for (String f : forms(SENTINEL)) {
      assertThat(sc.scrub("before " + f + " after")).as(f).isEqualTo("before *** after");
    }
    // JSON escaping of a secret with a quote and a backslash
    Scrubber quoted = Scrubber.ofValues(List.of("pa\"ss\\word"));
    assertThat(quoted.scrub(EventCodec.write(new RunEvent.GateRejected("r", "g", "got pa\"ss\\word", java.time.Instant.EPOCH))))
        .contains("got ***").doesNotContain("ss\\\\word");
    // base64 of the secret at each byte offset of a longer text
    for (String prefix : List.of("", "a", "ab", "abc", "user:")) {
      String b64 = Base64.getEncoder().encodeToString((prefix + SENTINEL + "!tail").getBytes(StandardCharsets.UTF_8));
      assertThat(sc.scrub(b64)).as(prefix).contains("***");
    }
    assertThat(sc.scrub("nothing secret here")).isEqualTo("nothing secret here");
    assertThat(Scrubber.NONE.scrub("s")).isSameAs("s");
    Exception e = new IllegalStateException("wrapped", new RuntimeException("has " + SENTINEL));
    Throwable shown = sc.scrub(e);
    assertThat(shown).hasMessage("wrapped").hasRootCauseMessage("has ***");
    assertThat(shown.getCause().toString()).isEqualTo("java.lang.RuntimeException: has ***");
    Exception clean = new IllegalStateException("clean");
    assertThat(sc.scrub(clean)).isSameAs(clean);
  }
}
