package dev.runbook4j.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash tests with a real child JVM killed by SIGKILL ({@code Process.destroyForcibly}) at every
 * journal boundary — before and after each event is written — on the forward path and the rollback
 * path, on SQLite and PostgreSQL; some also kill the recovery. The run is then resumed on the same
 * journal, and an external side-effect log (fsynced by the child) shows that every step's effect
 * happened at most once per crash plus once, always with the same idempotency key, that completed
 * steps were not run again, and that the run ended in the right state.
 */
@Tag("slow")
class ChildJvmCrashTests {
  private static EmbeddedPostgres postgres;

  @TempDir
  static Path dir;

  @BeforeAll
  static void start() throws IOException {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stop() throws IOException {
    postgres.close();
  }

  private record Child(Process process, String line) {}

  /** Starts the child and reads until it pauses or finishes. */
  private static Child child(String mode, String url, Path effects, String runId, boolean failFifth, int pauseAt,
      String where) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp",
        System.getProperty("java.class.path"), CrashChild.class.getName(), mode, url, effects.toString(), runId,
        String.valueOf(failFifth), String.valueOf(pauseAt), where)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("PAUSED") || line.startsWith("DONE") || line.startsWith("WAITING")) {
          if (!line.startsWith("DONE")) {
            p.destroyForcibly();  // SIGKILL, at the journal boundary
          }
          p.waitFor(30, TimeUnit.SECONDS);
          return new Child(p, line);
        }
      }
    }
    p.waitFor(30, TimeUnit.SECONDS);
    return new Child(p, "EXIT " + p.exitValue());
  }

  private static int cleanRunEvents(String url, boolean failFifth) throws Exception {
    String runId = "clean-" + UUID.randomUUID();
    Child c = child("run", url, dir.resolve(runId + ".log"), runId, failFifth, 0, "before");
    assertThat(c.line()).startsWith("DONE");
    try (JdbcJournal j = JdbcJournal.open(url)) {
      return j.read(runId).size();
    }
  }

  private static void crashCase(String url, boolean failFifth, int k, String where, Integer secondKill)
      throws Exception {
    String runId = "r-" + UUID.randomUUID().toString().substring(0, 8);
    Path effects = dir.resolve(runId + ".log");
    Child first = child("run", url, effects, runId, failFifth, k, where);
    assertThat(first.line()).as("the child reached write " + k + " and was killed there").isEqualTo("PAUSED " + k);
    int crashes = 1;
    if (secondKill != null && crashes == 1) {
      boolean recorded;
      try (JdbcJournal j = JdbcJournal.open(url)) {
        recorded = !j.read(runId).isEmpty();
      }
      Child second = child(recorded ? "resume" : "run", url, effects, runId, failFifth, secondKill, "after");
      crashes += second.line().startsWith("PAUSED") ? 1 : 0;
    }
    Runbook<Void> runbook = CrashChild.runbook(effects, failFifth);
    RunResult r;
    List<RunEvent> events;
    try (JdbcJournal journal = JdbcJournal.open(url);
        RunbookEngine engine = RunbookEngine.builder().journal(journal).build()) {
      r = journal.read(runId).isEmpty()
          ? engine.run(runbook, null, RunOptions.defaults().withRunId(runId))
          : engine.resume(runId, runbook).await();
      events = journal.read(runId);
      assertThat(journal.verify(runId).ok()).isTrue();
    }
    List<String> log = Files.exists(effects) ? Files.readAllLines(effects) : List.of();
    String context = "kill " + where + " write " + k + (secondKill == null ? "" : ", then after recovery write "
        + secondKill) + (failFifth ? ", failing run" : ", succeeding run") + "; effects " + log + "; journal "
        + events.stream().map(e -> e.getClass().getSimpleName()).collect(Collectors.toList());
    assertThat(r.state()).as(context).isEqualTo(failFifth ? RunState.ROLLED_BACK : RunState.SUCCEEDED);
    for (int i = 1; i <= 5; i++) {
      String step = "s" + i;
      List<String> done = log.stream().filter(l -> l.startsWith("do:" + step + " ")).toList();
      assertThat(done).as(context).hasSizeBetween(1, 1 + crashes)
          .allMatch(l -> l.equals("do:" + step + " " + runId + ":" + step));
      long undone = log.stream().filter(l -> l.startsWith("undo:" + step + " ")).count();
      if (failFifth) {
        assertThat(undone).as(context).isBetween(1L, 1L + crashes);
      } else {
        assertThat(undone).as(context).isZero();
      }
    }
    // a step whose success was journaled is never called again
    for (RunEvent e : events) {
      if (e instanceof RunEvent.StepSucceeded s) {
        assertThat(events.stream().filter(x -> x instanceof RunEvent.StepStarted st
            && st.stepId().equals(s.stepId()) && events.indexOf(x) > events.indexOf(e))).as(context).isEmpty();
      }
    }
    // a pause cut by the kill ends at its journaled deadline, or right after the restart if that came later
    RunEvent.WaitStarted ws = events.stream().filter(RunEvent.WaitStarted.class::isInstance)
        .map(RunEvent.WaitStarted.class::cast).findFirst().orElse(null);
    RunEvent.WaitFinished wf = events.stream().filter(RunEvent.WaitFinished.class::isInstance)
        .map(RunEvent.WaitFinished.class::cast).findFirst().orElse(null);
    if (ws != null && wf != null) {
      Instant resumed = events.stream().filter(x -> x instanceof RunEvent.RunResumed && events.indexOf(x)
          > events.indexOf(ws)).map(RunEvent::at).findFirst().orElse(ws.at());
      Instant latest = (resumed.isAfter(ws.deadline()) ? resumed : ws.deadline()).plusSeconds(5);
      assertThat(wf.at()).as(context).isAfterOrEqualTo(ws.deadline()).isBefore(latest);
    }
  }

  private static Stream<DynamicTest> matrix(String db, String url, int step, boolean bothSides) throws Exception {
    List<DynamicTest> tests = new ArrayList<>();
    for (boolean failFifth : new boolean[] {false, true}) {
      int n = cleanRunEvents(url, failFifth);
      for (int k = 1; k <= n; k += step) {
        for (String where : bothSides ? List.of("before", "after") : List.of("before")) {
          int kk = k;
          tests.add(DynamicTest.dynamicTest(db + ": SIGKILL " + where + " write " + k + " of " + n
              + (failFifth ? " (rollback path)" : " (forward path)"), () -> crashCase(url, failFifth, kk, where, null)));
        }
        if (failFifth && k % 5 == 2) {
          int kk = k;
          tests.add(DynamicTest.dynamicTest(db + ": SIGKILL before write " + k + ", then again 3 writes into the"
              + " recovery", () -> crashCase(url, true, kk, "before", 3)));
        }
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> sqliteSurvivesSigkillAtEveryJournalBoundary() throws Exception {
    return matrix("SQLite", "jdbc:sqlite:" + dir.resolve("crash.db"), 1, true);
  }

  @TestFactory
  Stream<DynamicTest> postgresSurvivesSigkillAtJournalBoundaries() throws Exception {
    return matrix("PostgreSQL", postgres.getJdbcUrl("postgres", "postgres"), 3, false);
  }

  /**
   * Two runners on one PostgreSQL, the first a child JVM killed with SIGKILL while its runs wait:
   * the second (this JVM, on the same host) sees the child's process gone and takes its runs over at
   * once, and finishes them; each step ran once, and the pause went on with only the time it had left.
   */
  @org.junit.jupiter.api.Test
  void aRunnerKilledBySigkillHasItsRunsFinishedByAnotherRunner() throws Exception {
    String db = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(postgres.getJdbcUrl("postgres", "postgres"));
        java.sql.Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + db);
    }
    String url = postgres.getJdbcUrl("postgres", db);
    Path effects = dir.resolve(db + ".log");
    Child killed = child("runner", url, effects, "takeover", false, 4, "");
    assertThat(killed.line()).isEqualTo("WAITING");
    Instant death = Instant.now();
    // the child's leases as it left them: each run's expires one second after the child took it, and
    // the child's one second after its last heartbeat (which may come before the run's last event);
    // the run is free once both have expired
    java.util.Map<String, Instant> leaseUntil = new java.util.HashMap<>();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT r.run_id, r.owner, r.lease_until,"
            + " w.alive_until FROM rb4j_runs r JOIN rb4j_runners w ON w.runner = r.owner")) {
      while (rs.next()) {
        assertThat(rs.getString(2)).as(rs.getString(1)).isEqualTo("child");
        leaseUntil.put(rs.getString(1), Instant.ofEpochMilli(Math.max(rs.getLong(3), rs.getLong(4))));
      }
    }
    assertThat(leaseUntil).hasSize(4);
    Runbook<Void> runbook = CrashChild.runbook(effects, false);
    try (JdbcJournal journal = JdbcJournal.builder(url).runner("survivor").leaseTtl(java.time.Duration.ofSeconds(1))
        .build();
        RunbookEngine engine = RunbookEngine.builder().journal(journal).runbooks(runbook)
            .heartbeat(java.time.Duration.ofMillis(200)).build()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (int i = 0; i < 4; i++) {
        String runId = "takeover-" + i;
        while (!engine.status(runId).state().isTerminal() && System.nanoTime() < deadline) {
          Thread.sleep(50);  // a real child process: real time
        }
        List<RunEvent> events = journal.read(runId);
        assertThat(engine.status(runId).state()).as(runId).isEqualTo(RunState.SUCCEEDED);
        assertThat(journal.verify(runId).ok()).isTrue();
        RunEvent.RunResumed resumed = events.stream().filter(RunEvent.RunResumed.class::isInstance)
            .map(RunEvent.RunResumed.class::cast).findFirst().orElseThrow();
        // the child ran on this host: its process is seen gone, and its runs are taken over at once, before
        // its lease lapses (a runner on another host waits for the lease: the journal contract tests)
        assertThat(resumed.at()).as("taken over once the child was dead, not before")
            .isAfter(death.minusMillis(300)).isBefore(leaseUntil.get(runId).plusSeconds(5));
        List<String> log = Files.readAllLines(effects);
        for (int s = 1; s <= 5; s++) {
          String line = "do:s" + s + " " + runId + ":s" + s;
          assertThat(log.stream().filter(line::equals)).as(runId + " " + log).hasSize(1);
        }
      }
    }
  }
}
