package dev.runbook4j.journal;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.journal.jdbc.JournalVerification;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Journal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What durable (JDBC) journals add to the contract: reopening, the hash chain, schema versions. */
abstract class DurableJournalContractTestCase extends JournalContractTestCase {
  private JdbcJournal journal;

  /** A JDBC URL for a database of this test method (shared tables are fine: run ids are unique). */
  abstract String url();

  /** A JDBC URL of a database nobody else uses. */
  abstract String freshUrl() throws SQLException;

  abstract Connection connect(String url) throws SQLException;

  @Override
  Journal journal() {
    if (journal == null) {
      journal = JdbcJournal.open(url());
    }
    return journal;
  }

  @AfterEach
  void closeJournal() {
    if (journal != null) {
      journal.close();
    }
  }

  private String writeSample() {
    String runId = newRunId();
    sampleRun(runId).forEach(journal()::append);
    return runId;
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = connect(url()); Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  @Test
  void eventsSurviveClosingAndReopening() {
    String runId = writeSample();
    journal.close();
    journal = null;
    try (JdbcJournal reopened = JdbcJournal.open(url())) {
      assertThat(reopened.read(runId)).containsExactlyElementsOf(sampleRun(runId));
      assertThat(reopened.verify(runId).ok()).isTrue();
      reopened.append(new RunEvent.StepStarted(runId, "after", 1, runId + ":after", T0));
      assertThat(reopened.verify(runId).events()).isEqualTo(11);
    }
  }

  @Test
  void anIntactRunVerifies() {
    String runId = writeSample();
    JournalVerification v = ((JdbcJournal) journal()).verify(runId);
    assertThat(v.ok()).isTrue();
    assertThat(v.events()).isEqualTo(10);
  }

  @Test
  void anEditedEventIsTheFirstBadOne() throws SQLException {
    String runId = writeSample();
    sql("UPDATE rb4j_events SET body = REPLACE(body, 'v42', 'v43') WHERE run_id = '" + runId + "' AND seq = 3");
    JournalVerification v = ((JdbcJournal) journal()).verify(runId);
    assertThat(v.firstBadSeq()).contains(3L);
    assertThat(v.problem()).contains("event 3 of run " + runId + " does not match its hash: it was edited, or an"
        + " earlier event was");
  }

  @Test
  void aDeletedEventIsFound() throws SQLException {
    String runId = writeSample();
    sql("DELETE FROM rb4j_events WHERE run_id = '" + runId + "' AND seq = 5");
    JournalVerification v = ((JdbcJournal) journal()).verify(runId);
    assertThat(v.firstBadSeq()).contains(5L);
    assertThat(v.problem().orElseThrow()).contains("event 5 of run " + runId + " is missing (the next one is 6)");
  }

  @Test
  void reorderedEventsAreFound() throws SQLException {
    String runId = writeSample();
    sql("UPDATE rb4j_events SET seq = 100 WHERE run_id = '" + runId + "' AND seq = 4");
    sql("UPDATE rb4j_events SET seq = 4 WHERE run_id = '" + runId + "' AND seq = 5");
    sql("UPDATE rb4j_events SET seq = 5 WHERE run_id = '" + runId + "' AND seq = 100");
    assertThat(((JdbcJournal) journal()).verify(runId).firstBadSeq()).contains(4L);
  }

  @Test
  void aTruncatedRunIsFound() throws SQLException {
    String runId = writeSample();
    sql("DELETE FROM rb4j_events WHERE run_id = '" + runId + "' AND seq >= 9");
    JournalVerification v = ((JdbcJournal) journal()).verify(runId);
    assertThat(v.firstBadSeq()).contains(9L);
    assertThat(v.problem().orElseThrow()).contains("ends at event 8 but its head records event 10");
  }

  private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  /**
   * What someone who can write the database does without the key: appends two approvals, chaining
   * them the only way they can (SHA-256, as an unkeyed journal does), and points the head row at them.
   */
  private void forgeApprovals(String url, String runId) throws Exception {
    try (Connection c = connect(url)) {
      Forger.append(c, runId, List.of(
          new RunEvent.ApprovalGranted(runId, "prod", "alice", "", "ab".repeat(32), T0.plusSeconds(5)),
          new RunEvent.ApprovalGranted(runId, "prod", "bob", "", "ab".repeat(32), T0.plusSeconds(5))));
    }
  }

  @Test
  void aKeyedJournalFindsForgedApprovalsAndAnUnkeyedOneSaysItCannot() throws Exception {
    String keyedUrl = freshUrl();
    String plainUrl = freshUrl();
    String runId = newRunId();
    try (JdbcJournal keyed = JdbcJournal.builder(keyedUrl).key(KEY).build();
        JdbcJournal plain = JdbcJournal.open(plainUrl)) {
      for (JdbcJournal j : List.of(keyed, plain)) {
        sampleRun(runId).subList(0, 3).forEach(j::append);
        assertThat(j.verify(runId).ok()).isTrue();
      }
      assertThat(keyed.verify(runId).check()).isEqualTo(JournalVerification.Check.KEYED);
      forgeApprovals(keyedUrl, runId);
      forgeApprovals(plainUrl, runId);

      JournalVerification k = keyed.verify(runId);
      assertThat(k.ok()).isFalse();
      assertThat(k.firstBadSeq()).contains(4L);
      assertThat(k.problem().orElseThrow()).contains("event 4 of run " + runId + " does not match its hash",
          "written without the journal's key (a forgery)");
      assertThat(keyed.readVerified(runId).problem()).isPresent();  // the engine refuses to resume it

      JournalVerification p = plain.verify(runId);
      assertThat(p.ok()).as("without a key a recomputed chain verifies: the forgery is not found").isTrue();
      assertThat(p.check()).isEqualTo(JournalVerification.Check.UNKEYED);
    }
  }

  @Test
  void aKeyedJournalFindsACutTailWhoseHeadRowWasRePointed() throws Exception {
    String url = freshUrl();
    String runId = newRunId();
    try (JdbcJournal keyed = JdbcJournal.builder(url).key(KEY).build()) {
      sampleRun(runId).forEach(keyed::append);
      try (Connection c = connect(url); Statement st = c.createStatement()) {
        // the rollback's end cut off, and the head pointed at what is left: every value there is genuine
        st.execute("DELETE FROM rb4j_events WHERE run_id = '" + runId + "' AND seq >= 9");
        st.execute("UPDATE rb4j_runs SET last_seq = 8, finished = 0, last_hash = (SELECT hash FROM rb4j_events WHERE"
            + " run_id = '" + runId + "' AND seq = 8) WHERE run_id = '" + runId + "'");
      }
      JournalVerification v = keyed.verify(runId);
      assertThat(v.problem().orElseThrow()).contains("the head row of run " + runId + " (event 8) does not carry the"
          + " journal key's MAC: it was re-pointed");
      assertThat(v.firstBadSeq()).contains(9L);
    }
  }

  @Test
  void aKeyedJournalIsRefusedWithAnotherKeyAndReadButNeitherWrittenNorVerifiedWithoutOne() throws Exception {
    String url = freshUrl();
    String runId = newRunId();
    try (JdbcJournal keyed = JdbcJournal.builder(url).key(KEY).build()) {
      sampleRun(runId).subList(0, 3).forEach(keyed::append);
    }
    byte[] other = "another key, 32 bytes long......".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThatThrownBy(() -> JdbcJournal.builder(url).key(other).build()).isInstanceOf(JournalException.class)
        .hasMessageContaining("is keyed with key ").hasMessageContaining("not this journal's key");
    try (JdbcJournal without = JdbcJournal.open(url)) {
      assertThat(without.read(runId)).hasSize(3);
      JournalVerification v = without.verify(runId);
      assertThat(v.check()).isEqualTo(JournalVerification.Check.NOT_CHECKED);
      assertThat(v.problem().orElseThrow()).contains("opened without its key");
      assertThatThrownBy(() -> without.append(new RunEvent.StepStarted(runId, "next", 1, runId + ":next", T0)))
          .isInstanceOf(JournalException.class).hasMessageContaining("opened without its key: it is read, not written");
    }
    try (JdbcJournal again = JdbcJournal.builder(url).key(KEY).build()) {
      assertThat(again.read(runId)).hasSize(3);  // the refused append left nothing behind
      assertThat(again.verify(runId).ok()).isTrue();
    }
    String plain = freshUrl();
    JdbcJournal.open(plain).close();
    assertThatThrownBy(() -> JdbcJournal.builder(plain).key(KEY).build()).isInstanceOf(JournalException.class)
        .hasMessageContaining("was created without a key");
    assertThatThrownBy(() -> JdbcJournal.builder(plain).key(new byte[8])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 16 bytes");
  }

  @Test
  void aJournalWrittenByANewerSchemaIsRefusedNamingBothVersions() throws SQLException {
    String url = freshUrl();
    JdbcJournal.open(url).close();
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      st.execute("UPDATE rb4j_schema SET version = 7");
    }
    assertThatThrownBy(() -> JdbcJournal.open(url)).isInstanceOf(JournalException.class)
        .hasMessageContaining("has schema version 7, written by a newer Runbook4j; this Runbook4j reads schema"
            + " version " + JdbcJournal.SCHEMA_VERSION + ". Upgrade Runbook4j to use this journal");
  }

  @Test
  void aWriteThatFailsIsReportedWithTheRunAndTheEventAndRecordsNothing() {
    String runId = writeSample();
    JdbcJournal closed = JdbcJournal.open(url());
    closed.close();
    assertThatThrownBy(() -> closed.append(new RunEvent.StepStarted(runId, "x", 1, "k", T0)))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining("could not record StepStarted of run " + runId);
    assertThat(journal().read(runId)).hasSize(10);
  }

  @Test
  void aStepOutputThatIsNotJsonIsRefusedBeforeAnythingIsWritten() {
    String runId = newRunId();
    Object notJson = new Object() {
      @SuppressWarnings("unused")
      public Object getSelf() {
        return this;
      }
    };
    assertThatThrownBy(() -> journal().append(new RunEvent.StepSucceeded(runId, "s", 1, notJson, T0)))
        .isInstanceOf(JournalException.class).hasMessageContaining("cannot be written as JSON");
    assertThat(journal().read(runId)).isEmpty();
    assertThat(List.copyOf(journal().runIds())).doesNotContain(runId);
  }

  static Connection plain(String url) throws SQLException {
    return DriverManager.getConnection(url);
  }

  // ---------------------------------------------------------------- leases and locks, two runners

  private JdbcJournal runner(String url, String id) {
    return JdbcJournal.builder(url).runner(id).leaseTtl(java.time.Duration.ofSeconds(30)).build();
  }

  @Test
  void aRunIsOwnedByItsRunnerUntilItsLeaseExpiresAndOnlyItsOwnerMayWriteIt() throws SQLException {
    String url = freshUrl();
    try (JdbcJournal a = runner(url, "a"); JdbcJournal b = runner(url, "b")) {
      String runId = newRunId();
      a.append(new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{}", T0));
      dev.runbook4j.spi.RunLeases la = a.leases().orElseThrow();
      dev.runbook4j.spi.RunLeases lb = b.leases().orElseThrow();
      assertThat(lb.claim(runId, T0.plusSeconds(10))).isEqualTo("a");
      assertThat(lb.takeExpired(java.util.Set.of("deploy"), 10, T0.plusSeconds(29))).isEmpty();
      assertThatThrownBy(() -> b.append(new RunEvent.StepStarted(runId, "s", 1, "k", T0.plusSeconds(11))))
          .isInstanceOf(dev.runbook4j.LeaseLostException.class).hasMessageContaining("owned by runner 'a'");
      assertThat(la.renew(T0.plusSeconds(20))).containsExactly(java.util.Map.entry(runId, 1L));
      assertThat(lb.takeExpired(java.util.Set.of("deploy"), 10, T0.plusSeconds(49))).isEmpty();
      assertThat(lb.takeExpired(java.util.Set.of("other"), 10, T0.plusSeconds(51))).isEmpty();
      assertThat(lb.takeExpired(java.util.Set.of("deploy"), 10, T0.plusSeconds(51))).containsExactly(runId);
      // a woke up: it owns nothing, and its writes are refused
      assertThat(la.renew(T0.plusSeconds(52))).isEmpty();
      assertThatThrownBy(() -> a.append(new RunEvent.StepStarted(runId, "s", 1, "k", T0.plusSeconds(52))))
          .isInstanceOf(dev.runbook4j.LeaseLostException.class).hasMessageContaining("owned by runner 'b'");
      b.append(new RunEvent.StepStarted(runId, "s", 1, "k", T0.plusSeconds(53)));
      b.append(new RunEvent.RunFinished(runId, dev.runbook4j.RunState.SUCCEEDED, "done", T0.plusSeconds(54)));
      assertThat(lb.renew(T0.plusSeconds(60))).isEmpty();
      assertThat(la.takeExpired(java.util.Set.of("deploy"), 10, T0.plusSeconds(999))).isEmpty();
      assertThat(a.verify(runId).ok()).isTrue();
      assertThat(a.read(runId)).hasSize(3);
    }
  }

  /** A process id that no live process has: a child that has ended. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    p.waitFor();
    return p.pid();
  }

  private void setRunner(String url, String runner, String set) throws SQLException {
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      st.execute("UPDATE rb4j_runners SET " + set + " WHERE runner = '" + runner + "'");
    }
  }

  @Test
  void aRunnerOnThisHostWhoseProcessIsGoneLosesItsRunsAtOnce() throws Exception {
    String url = freshUrl();
    try (JdbcJournal a = runner(url, "a"); JdbcJournal b = runner(url, "b")) {
      String gone = newRunId();
      String reused = newRunId();
      a.append(new RunEvent.RunStarted(gone, "deploy", "ab".repeat(32), "alice", "{}", T0));
      dev.runbook4j.spi.RunLeases lb = b.leases().orElseThrow();
      // a lives in this process: alive, its lease holds
      assertThat(lb.claim(gone, T0.plusSeconds(1))).isEqualTo("a");
      assertThat(lb.driver(gone, T0.plusSeconds(1)).orElseThrow().describe())
          .contains("runner 'a' (host ", "pid " + ProcessHandle.current().pid());
      setRunner(url, "a", "pid = " + deadPid());
      assertThat(lb.driver(gone, T0.plusSeconds(2))).isEmpty();  // orphaned: its process is gone
      assertThat(lb.claim(gone, T0.plusSeconds(2))).isNull();

      try (JdbcJournal c = runner(url, "c")) {
        c.append(new RunEvent.RunStarted(reused, "deploy", "ab".repeat(32), "alice", "{}", T0));
        // c's process id now names a process that started at another time: the id was reused
        setRunner(url, "c", "proc_start = 12345");
        assertThat(lb.claim(reused, T0.plusSeconds(2))).isNull();
      }
    }
  }

  @Test
  void aRunnerOnAnotherHostKeepsItsRunsUntilItsLeaseLapses() throws Exception {
    String url = freshUrl();
    try (JdbcJournal a = runner(url, "a"); JdbcJournal b = runner(url, "b")) {
      String runId = newRunId();
      a.append(new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{}", T0));
      setRunner(url, "a", "host = 'another-host', pid = " + deadPid());
      dev.runbook4j.spi.RunLeases lb = b.leases().orElseThrow();
      assertThat(lb.claim(runId, T0.plusSeconds(29))).isEqualTo("a");  // that host's processes are not ours to see
      assertThat(lb.takeExpired(java.util.Set.of("deploy"), 10, T0.plusSeconds(29))).isEmpty();
      assertThat(lb.claim(runId, T0.plusSeconds(31))).isNull();
    }
  }

  @Test
  void aRunnerThatClosesItsJournalFreesItsRunsAtOnce() throws Exception {
    String url = freshUrl();
    String runId = newRunId();
    try (JdbcJournal b = runner(url, "b")) {
      try (JdbcJournal a = runner(url, "a")) {
        a.append(new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{}", T0));
        assertThat(b.leases().orElseThrow().claim(runId, T0.plusSeconds(1))).isEqualTo("a");
      }
      assertThat(b.leases().orElseThrow().driver(runId, T0.plusSeconds(1))).isEmpty();
      assertThat(b.leases().orElseThrow().takeExpired(java.util.Set.of("deploy"), 10, T0.plusSeconds(1)))
          .containsExactly(runId);
    }
  }

  @Test
  void aSecondRunStartedOfOneRunIdIsRefusedWhoeverWritesIt() throws SQLException {
    String url = freshUrl();
    try (JdbcJournal a = runner(url, "a"); JdbcJournal b = runner(url, "b")) {
      String runId = newRunId();
      RunEvent.RunStarted started = new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{}", T0);
      a.append(started);
      assertThatThrownBy(() -> b.append(started)).isInstanceOf(JournalException.class)
          .hasMessageContaining("Run " + runId + " exists already");
      assertThatThrownBy(() -> a.append(started)).isInstanceOf(JournalException.class)
          .hasMessageContaining("its RunStarted was not recorded again");
      assertThat(a.read(runId)).hasSize(1);
    }
  }

  @Test
  void aDecisionIsRecordedOnlyWhenNothingWasWrittenSinceItWasReadWhoeverOwnsTheRun() throws SQLException {
    String url = freshUrl();
    try (JdbcJournal a = runner(url, "a"); JdbcJournal b = runner(url, "b")) {
      String runId = newRunId();
      a.append(new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{}", T0));
      a.append(new RunEvent.ApprovalRequested(runId, "go", "bob", 1, null, T0));
      RunEvent approve = new RunEvent.GatePassed(runId, "go", T0.plusSeconds(1));
      RunEvent reject = new RunEvent.GateRejected(runId, "go", "no", T0.plusSeconds(1));
      assertThat(b.appendIf(runId, 1, List.of(approve))).isFalse();  // it read an older journal
      assertThat(b.appendIf(runId, 2, List.of(approve))).isTrue();
      assertThat(a.appendIf(runId, 2, List.of(reject))).isFalse();  // the first decision won
      assertThat(a.read(runId)).hasSize(3).last().isEqualTo(approve);
      assertThat(a.verify(runId).ok()).isTrue();
      // the run is still a's: the decider took nothing over
      assertThat(b.leases().orElseThrow().claim(runId, T0.plusSeconds(2))).isEqualTo("a");
      a.append(new RunEvent.StepStarted(runId, "s", 1, "k", T0.plusSeconds(3)));
      a.append(new RunEvent.RunFinished(runId, dev.runbook4j.RunState.SUCCEEDED, "done", T0.plusSeconds(4)));
      assertThat(b.appendIf(runId, 5, List.of(new RunEvent.CancelRequested(runId, "x", "", T0)))).isFalse();
      assertThat(a.lengths(List.of(runId, "nope"))).containsExactly(java.util.Map.entry(runId, 5L));
    }
  }

  @Test
  void aRunsEventsAreReadVerifiedInOnePass() throws SQLException {
    String runId = writeSample();
    assertThat(journal().readVerified(runId).problem()).isEmpty();
    assertThat(journal().readVerified(runId).events()).isEqualTo(journal().read(runId));
    sql("UPDATE rb4j_events SET body = REPLACE(body, 'alice', 'mallory') WHERE run_id = '" + runId + "'");
    assertThat(journal().readVerified(runId).problem().orElseThrow()).contains("does not match its hash")
        .isEqualTo(journal().problem(runId).orElseThrow());
  }

  @Test
  void aRunnersHeartbeatWritesOneRowWhateverItsRunsAndKeepsEveryRunItsOwnUntilItStops() throws SQLException {
    String url = freshUrl();
    try (JdbcJournal a = runner(url, "a"); JdbcJournal b = runner(url, "b")) {
      java.util.Set<String> ids = new java.util.TreeSet<>();
      for (int i = 0; i < 40; i++) {
        String runId = newRunId();
        ids.add(runId);
        a.append(new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{}", T0.plusMillis(i)));
      }
      dev.runbook4j.spi.RunLeases la = a.leases().orElseThrow();
      dev.runbook4j.spi.RunLeases lb = b.leases().orElseThrow();
      for (int beat = 1; beat <= 30; beat++) {
        la.extend(T0.plusSeconds(10L * beat));  // five minutes of heartbeats, every 10 s
      }
      try (Connection c = connect(url); Statement st = c.createStatement();
          java.sql.ResultSet rs = st.executeQuery("SELECT MAX(lease_until), COUNT(*) FROM rb4j_runs WHERE owner = 'a'")) {
        rs.next();
        // no run's row was written by the heartbeats: each keeps the lease it got when a took it
        assertThat(rs.getLong(1)).isEqualTo(T0.plusMillis(39).plusSeconds(30).toEpochMilli());
        assertThat(rs.getInt(2)).isEqualTo(40);
      }
      java.time.Instant later = T0.plusSeconds(300 + 29);
      assertThat(lb.takeExpired(java.util.Set.of("deploy"), 100, later)).isEmpty();
      assertThat(ids).allSatisfy(id -> assertThat(lb.claim(id, later)).isEqualTo("a"));
      // a stops: its runs are free a lease after its last heartbeat, all of them at once
      assertThat(lb.takeExpired(java.util.Set.of("deploy"), 100, T0.plusSeconds(300 + 31)))
          .containsExactlyInAnyOrderElementsOf(ids);
      assertThat(la.renew(T0.plusSeconds(400))).isEmpty();
    }
  }

  @Test
  void aVersion2JournalIsUpgradedWithItsRunnersAliveAsLongAsTheirRunsLeasesSaid() throws SQLException {
    String url = freshUrl();
    String runId = newRunId();
    try (JdbcJournal old = runner(url, "old")) {
      old.append(new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{}", T0));
    }
    // what version 2 wrote: no runners; each run's owner and lease, renewed in its own row (the owner is
    // written back: closing the journal above ended runner "old", which version 2 did not do)
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      st.execute("DROP TABLE rb4j_runners");
      st.execute("UPDATE rb4j_runs SET owner = 'old', lease_until = " + T0.plusSeconds(90).toEpochMilli());
      st.execute("UPDATE rb4j_schema SET version = 2");
    }
    try (JdbcJournal b = runner(url, "b")) {
      dev.runbook4j.spi.RunLeases lb = b.leases().orElseThrow();
      assertThat(lb.takeExpired(java.util.Set.of("deploy"), 10, T0.plusSeconds(89))).isEmpty();
      assertThat(lb.claim(runId, T0.plusSeconds(89))).isEqualTo("old");
      assertThat(lb.takeExpired(java.util.Set.of("deploy"), 10, T0.plusSeconds(91))).containsExactly(runId);
    }
  }

  @Test
  void locksQueueInOrderAcrossRunnersWithGrowingFencingTokens() throws SQLException {
    String url = freshUrl();
    try (JdbcJournal a = runner(url, "a"); JdbcJournal b = runner(url, "b")) {
      dev.runbook4j.spi.LockManager la = a.lockManager().orElseThrow();
      dev.runbook4j.spi.LockManager lb = b.lockManager().orElseThrow();
      List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
      dev.runbook4j.spi.LockManager.Waiter waiter = new dev.runbook4j.spi.LockManager.Waiter() {
        @Override
        public void granted(long token) {
          heard.add("granted " + token);
        }

        @Override
        public void superseded(String byRunId) {
          heard.add("superseded by " + byRunId);
        }
      };
      assertThat(la.acquire("k", "r1", "x", dev.runbook4j.LockPolicy.FIFO, waiter)).isEqualTo(1);
      assertThat(lb.acquire("k", "r2", "x", dev.runbook4j.LockPolicy.FIFO, waiter)).isZero();
      assertThatThrownBy(() -> lb.acquire("k", "r3", "x", dev.runbook4j.LockPolicy.FAIL_FAST, waiter))
          .isInstanceOf(dev.runbook4j.LockUnavailableException.class).hasMessageContaining("held by run r1");
      la.release("k", "r1");
      assertThat(heard).isEmpty();  // r2 waits in the other process: it hears on its next poll
      assertThat(lb.holder("k")).isEqualTo("r2");
      lb.poll();
      assertThat(heard).containsExactly("granted 2");
      assertThat(lb.holds("k", "r2", 2)).isTrue();
      // r2 is taken over by another runner: granted again, under a newer token; the old one fails the check
      assertThat(la.acquire("k", "r2", "x", dev.runbook4j.LockPolicy.FIFO, waiter)).isEqualTo(3);
      assertThat(la.holds("k", "r2", 2)).isFalse();
      assertThat(lb.forceRelease("k")).isEqualTo("r2");
      assertThat(la.holder("k")).isNull();
    }
  }

  @Test
  void aVersion1JournalIsUpgradedInPlaceAndItsRunsStayReadableAndVerified() throws SQLException {
    String url = freshUrl();
    String runId = newRunId();
    try (JdbcJournal j = JdbcJournal.open(url)) {
      sampleRun(runId).forEach(j::append);
    }
    // what version 1 wrote: the head row without owner, lease or end
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      st.execute("DROP TABLE rb4j_runs");
      st.execute("CREATE TABLE rb4j_runs (run_id VARCHAR(200) PRIMARY KEY, created BIGINT NOT NULL,"
          + " last_seq BIGINT NOT NULL, last_hash VARCHAR(64) NOT NULL)");
      st.execute("INSERT INTO rb4j_runs SELECT run_id, 1, seq, hash FROM rb4j_events WHERE run_id = '" + runId
          + "' AND seq = (SELECT MAX(seq) FROM rb4j_events WHERE run_id = '" + runId + "')");
      st.execute("UPDATE rb4j_schema SET version = 1");
    }
    try (JdbcJournal j = JdbcJournal.open(url); Connection c = connect(url); Statement st = c.createStatement()) {
      assertThat(j.verify(runId).ok()).isTrue();
      assertThat(j.read(runId)).hasSize(sampleRun(runId).size());
      try (java.sql.ResultSet rs = st.executeQuery("SELECT version FROM rb4j_schema")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(JdbcJournal.SCHEMA_VERSION);
      }
      try (java.sql.ResultSet rs = st.executeQuery("SELECT finished FROM rb4j_runs WHERE run_id = '" + runId + "'")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(1);  // its last event is RunFinished
      }
    }
  }

  @Test
  void twoWritersOfOneRunKeepItsChainWhateverTheyRemembered() throws SQLException {
    String url = freshUrl();
    try (JdbcJournal a = runner(url, "same"); JdbcJournal b = runner(url, "same")) {
      String runId = newRunId();
      a.append(new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{}", T0));
      for (int i = 0; i < 6; i++) {
        // each writer's remembered head is stale every other time: the write notices and reads it again
        (i % 2 == 0 ? b : a).append(new RunEvent.StepStarted(runId, "s" + i, 1, "k" + i, T0.plusSeconds(i)));
      }
      assertThat(a.verify(runId).ok()).isTrue();
      assertThat(b.read(runId)).hasSize(7).extracting(e -> e.getClass().getSimpleName())
          .startsWith("RunStarted", "StepStarted");
    }
  }

  @Test
  void parkedRunsAreKeptPerEngineTakenOnceAndMadeDueWhenAnotherProcessDecides() {
    dev.runbook4j.spi.ParkedRuns parked = journal().parkedRuns().orElseThrow();
    String e1 = "engine-" + newRunId();
    String e2 = "engine-" + newRunId();
    String baking = newRunId();
    String approving = newRunId();
    String other = newRunId();
    journal().append(new RunEvent.RunStarted(baking, "deploy", "ab".repeat(32), "alice", "{}", T0));
    parked.park(e1, baking, T0.plusSeconds(3600), false, 1, 0);
    parked.park(e1, approving, null, true, 5, 1);
    parked.park(e2, other, T0, false, 3, 0);
    assertThat(parked.count(e1)).isEqualTo(2);
    assertThat(parked.next(e1)).contains(T0.plusSeconds(3600));
    assertThat(parked.find(approving)).contains(new dev.runbook4j.spi.ParkedRuns.Parked(approving, e1, null, true, 5, 1));
    assertThat(parked.takeDue(e1, T0.plusSeconds(3599), 10)).isEmpty();
    // another process decided on the parked run: it is due at once, for the engine that parked it only
    parked.nudge(baking, T0.plusSeconds(1));
    assertThat(parked.next(e1)).contains(T0.plusSeconds(1));
    assertThat(parked.takeDue(e2, T0.plusSeconds(2), 10)).extracting(dev.runbook4j.spi.ParkedRuns.Parked::runId)
        .containsExactly(other);
    parked.nudge(baking, T0.plusSeconds(5));  // due already: stays due from its first nudge
    parked.nudge(newRunId(), T0);  // not parked: nothing
    assertThat(parked.takeDue(e1, T0.plusSeconds(2), 10)).extracting(dev.runbook4j.spi.ParkedRuns.Parked::runId)
        .containsExactly(baking);
    assertThat(parked.find(baking)).isEmpty();
    assertThat(parked.next(e1)).isEmpty();  // only the approval is left, with no time
    assertThat(parked.take(approving)).isTrue();
    assertThat(parked.take(approving)).isFalse();  // taken once
    assertThat(parked.count(e1)).isZero();
    assertThat(parked.count(e2)).isZero();
    parked.park(e2, other, T0, false, 3, 0);
    parked.park(e1, other, T0.plusSeconds(60), false, 4, 2);  // parked again, by another engine: replaced
    assertThat(parked.count(e2)).isZero();
    assertThat(parked.find(other).orElseThrow().engine()).isEqualTo(e1);
  }

  @Test
  void aRunParkedInTheJournalWakesAtItsTimeAndAnApprovalByItsDecision() throws SQLException {
    String url = freshUrl();
    dev.runbook4j.spi.VirtualTime time = dev.runbook4j.spi.VirtualTime.create();
    dev.runbook4j.Runbook<Void> rb = dev.runbook4j.Runbook.builder("park-here")
        .step("a", st -> st.action(ctx -> "a").compensate((ctx, o) -> { }))
        .sleep("an-hour", java.time.Duration.ofHours(1))
        .gate("go", g -> g.approval(a -> a.approvers("bob")))
        .build();
    try (JdbcJournal j = JdbcJournal.open(url);
        dev.runbook4j.RunbookEngine engine = dev.runbook4j.RunbookEngine.builder().journal(j).virtualTime(time).build()) {
      dev.runbook4j.RunHandle h = engine.start(rb, null, dev.runbook4j.RunOptions.defaults().withRequester("alice"));
      time.runUntilIdle();
      assertThat(engine.load()).isEqualTo(new dev.runbook4j.RunbookEngine.Load(0, 1));
      assertThat(j.parkedRuns().orElseThrow().find(h.runId())).hasValueSatisfying(p -> assertThat(p.approval()).isFalse());
      time.advance(java.time.Duration.ofHours(1));
      assertThat(j.parkedRuns().orElseThrow().find(h.runId())).hasValueSatisfying(p -> assertThat(p.approval()).isTrue());
      engine.approve(h.runId(), "go", "bob");
      assertThat(h.await().state()).isEqualTo(dev.runbook4j.RunState.SUCCEEDED);
      assertThat(j.parkedRuns().orElseThrow().find(h.runId())).isEmpty();
    }
  }

  @Test
  void theUnfinishedRunsAreListedWithoutTheEndedOnes() {
    String ended = writeSample();
    String open = newRunId();
    journal().append(new RunEvent.RunStarted(open, "deploy", "ab".repeat(32), "alice", "{}", T0));
    assertThat(journal().runIds()).contains(ended, open);
    assertThat(journal().unfinishedRunIds()).contains(open).doesNotContain(ended);
  }

  @Test
  void aRunParkedByALiveRunnerIsNotTakenByAnotherThatTriesToResumeIt() throws SQLException {
    String url = freshUrl();
    dev.runbook4j.spi.VirtualTime time = dev.runbook4j.spi.VirtualTime.create();
    dev.runbook4j.Runbook<Void> rb = dev.runbook4j.Runbook.builder("parked-there")
        .step("a", st -> st.action(ctx -> "a").compensate((ctx, o) -> { }))
        .sleep("an-hour", java.time.Duration.ofHours(1))
        .build();
    try (JdbcJournal ja = runner(url, "a"); JdbcJournal jb = runner(url, "b");
        dev.runbook4j.RunbookEngine a = dev.runbook4j.RunbookEngine.builder().journal(ja).virtualTime(time).build();
        dev.runbook4j.RunbookEngine b = dev.runbook4j.RunbookEngine.builder().journal(jb).virtualTime(time).build()) {
      String runId = a.start(rb, null, dev.runbook4j.RunOptions.defaults()).runId();
      time.runUntilIdle();
      String parkedBy = ja.parkedRuns().orElseThrow().find(runId).orElseThrow().engine();
      assertThatThrownBy(() -> b.resume(runId, rb)).hasMessageContaining("is driven by runner 'a'");
      assertThat(b.resumeAll(java.util.Map.of("parked-there", rb)::get)).isEmpty();
      assertThat(jb.parkedRuns().orElseThrow().find(runId)).hasValueSatisfying(
          p -> assertThat(p.engine()).isEqualTo(parkedBy));  // still runner a's, where it waits
      time.advance(java.time.Duration.ofHours(1));
      assertThat(a.status(runId).state()).isEqualTo(dev.runbook4j.RunState.SUCCEEDED);
    }
  }
}
