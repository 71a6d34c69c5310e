package dev.runbook4j.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.LeaseLostException;
import dev.runbook4j.LockPolicy;
import dev.runbook4j.LockUnavailableException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.LockManager;
import dev.runbook4j.spi.VirtualTime;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Several runners (engines, each with its own connection and runner id) on one real PostgreSQL,
 * on one virtual clock: takeover after a runner dies, locks that serialise runs across runners,
 * fencing of a runner that stalled past its lease, queue policies, and locks kept after a failed
 * rollback.
 */
@Tag("postgres")
class MultiRunnerTests {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static EmbeddedPostgres postgres;

  private final VirtualTime time = VirtualTime.create();
  private final List<AutoCloseable> open = new ArrayList<>();
  /** The side effects, as a target would see them. */
  private final List<Effect> effects = new CopyOnWriteArrayList<>();
  private String url;

  record Effect(String runner, String runId, String step, String idempotencyKey, long token, Instant start,
      Instant end) {}

  record Params(String target) {}

  @BeforeAll
  static void start() throws IOException {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stop() throws IOException {
    postgres.close();
  }

  @BeforeEach
  void freshDatabase() throws SQLException {
    String db = "m" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(postgres.getJdbcUrl("postgres", "postgres"));
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + db);
    }
    url = postgres.getJdbcUrl("postgres", db);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // closed already (a "killed" runner)
      }
    }
  }

  private JdbcJournal journal(String runner) {
    JdbcJournal j = JdbcJournal.builder(url).runner(runner).leaseTtl(LEASE).build();
    open.add(j);
    return j;
  }

  private RunbookEngine engine(JdbcJournal journal, Runbook<?>... takeOver) {
    RunbookEngine e = RunbookEngine.builder().virtualTime(time).journal(journal).runbooks(takeOver).build();
    open.add(0, e);
    return e;
  }

  /** A runbook of mutating steps, each "taking" {@code work} of virtual time at the target. */
  private Runbook<Params> deploy(String name, Duration work, Duration bake, LockPolicy policy, String... steps) {
    Runbook.Builder<Params> b = Runbook.builder(name, Params.class);
    if (policy != null) {
      b.lock(p -> "target/" + p.target(), policy);
    }
    for (int i = 0; i < steps.length; i++) {
      String step = steps[i];
      b.step(step, s -> s.action(ctx -> {
        Instant start = ctx.clock().instant();
        String runner = runnerOf(ctx.runId());
        ctx.sleep(work);
        effects.add(new Effect(runner, ctx.runId(), step, ctx.idempotencyKey(),
            ctx.fencingToken("target/" + ctx.params().target()).orElse(0), start, ctx.clock().instant()));
        return step;
      }).compensate((ctx, out) -> {}));
      if (i == 1 && bake != null) {
        b.sleep("bake", bake);
      }
    }
    return b.build();
  }

  /** Which runner runs a run now: the last to start or resume it. */
  private String runnerOf(String runId) {
    return owners.getOrDefault(runId, "?");
  }

  private final Map<String, String> owners = new java.util.concurrent.ConcurrentHashMap<>();

  private void track(RunbookEngine engine, String runner) {
    engine.onEvent(e -> {
      if (e instanceof RunEvent.RunStarted || e instanceof RunEvent.RunResumed) {
        owners.put(e.runId(), runner);
      }
    });
  }

  @Test
  void aDeadRunnersRunsAreFinishedByAnotherAfterItsLeaseExpires() {
    Runbook<Params> rb = deploy("deploy", Duration.ofMinutes(1), Duration.ofHours(1), null, "s1", "s2", "s3", "s4",
        "s5");
    JdbcJournal ja = journal("a");
    RunbookEngine a = engine(ja);
    track(a, "a");
    RunbookEngine b = engine(journal("b"), rb);
    track(b, "b");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(a.start(rb, new Params("web" + i), RunOptions.defaults()).runId());
    }
    time.advance(Duration.ofMinutes(5));  // every run is in its bake, on runner a
    for (String id : ids) {
      assertThat(a.status(id).state()).isEqualTo(RunState.WAITING);
    }
    Instant death = time.now();
    // runner a dies: no more heartbeats, no more writes (its journal is not closed: a closed journal ends
    // its runner, and its runs are free at once; see aRunnerThatClosesItsJournalFreesItsRunsAtOnce)
    a.close();

    time.advance(Duration.ofHours(2));

    for (String id : ids) {
      assertThat(b.status(id).state()).isEqualTo(RunState.SUCCEEDED);
      RunEvent.RunResumed resumed = b.history(id).stream().filter(RunEvent.RunResumed.class::isInstance)
          .map(RunEvent.RunResumed.class::cast).findFirst().orElseThrow();
      // taken over only once the lease had expired, and at the first heartbeat after that
      assertThat(resumed.at()).isAfterOrEqualTo(death.plus(LEASE).minus(Duration.ofSeconds(10)))
          .isBeforeOrEqualTo(death.plus(LEASE).plus(Duration.ofSeconds(10)));
      // the bake went on with what was left: it ended an hour after it began, not an hour after the takeover
      RunEvent.WaitStarted bake = b.history(id).stream().filter(RunEvent.WaitStarted.class::isInstance)
          .map(RunEvent.WaitStarted.class::cast).findFirst().orElseThrow();
      RunEvent.WaitFinished baked = b.history(id).stream().filter(RunEvent.WaitFinished.class::isInstance)
          .map(RunEvent.WaitFinished.class::cast).findFirst().orElseThrow();
      assertThat(Duration.between(bake.at(), baked.at())).isEqualTo(Duration.ofHours(1));
      // each step once: s1, s2 by a before it died, s3..s5 by b
      assertThat(effects.stream().filter(e -> e.runId().equals(id)).map(e -> e.runner() + ":" + e.step()))
          .containsExactly("a:s1", "a:s2", "b:s3", "b:s4", "b:s5");
    }
  }

  @Test
  void theParkedRunsOfALiveRunnerStayItsOwnLongAfterTheLeaseTheyStartedWith() {
    Runbook<Params> rb = deploy("deploy", Duration.ofMinutes(1), Duration.ofHours(1), null, "s1", "s2", "s3");
    RunbookEngine a = engine(journal("a"), rb);
    track(a, "a");
    RunbookEngine b = engine(journal("b"), rb);
    track(b, "b");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(a.start(rb, new Params("web" + i), RunOptions.defaults()).runId());
    }
    // an hour and more in their bakes, parked in the journal: nothing of them is written all that time,
    // only runner a's heartbeat
    time.advance(Duration.ofHours(2));

    for (String id : ids) {
      assertThat(a.status(id).state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(a.history(id)).noneMatch(RunEvent.RunResumed.class::isInstance);
      assertThat(effects.stream().filter(e -> e.runId().equals(id)).map(e -> e.runner() + ":" + e.step()))
          .containsExactly("a:s1", "a:s2", "a:s3");
    }
  }

  @Test
  void aStepInFlightWhenTheRunnerDiedIsRunAgainWithTheSameIdempotencyKey() {
    Runbook<Params> rb = deploy("deploy", Duration.ofMinutes(10), null, null, "s1", "s2", "s3");
    JdbcJournal ja = journal("a");
    RunbookEngine a = engine(ja);
    track(a, "a");
    RunbookEngine b = engine(journal("b"), rb);
    track(b, "b");
    String id = a.start(rb, new Params("web"), RunOptions.defaults()).runId();
    time.advance(Duration.ofMinutes(15));  // s1 done, s2 started (its effect lands at minute 20)
    ja.close();
    a.close();
    time.advance(Duration.ofHours(1));

    assertThat(b.status(id).state()).isEqualTo(RunState.SUCCEEDED);
    List<Effect> mine = effects.stream().filter(e -> e.runId().equals(id)).toList();
    // s2 was called by a (its effect may or may not have landed) and again by b, with the same key
    assertThat(mine.stream().filter(e -> e.runner().equals("b")).map(Effect::step)).containsExactly("s2", "s3");
    assertThat(mine.stream().filter(e -> e.step().equals("s1")).count()).isEqualTo(1);
    assertThat(mine.stream().filter(e -> e.step().equals("s2")).map(Effect::idempotencyKey).distinct())
        .containsExactly(id + ":s2");
  }

  @Test
  void runsOnOneLockNeverOverlapAcrossThreeRunners() {
    Runbook<Params> rb = deploy("deploy", Duration.ofMinutes(3), null, LockPolicy.FIFO, "s1", "s2", "s3");
    List<RunbookEngine> engines = new ArrayList<>();
    List<RunHandle> handles = new ArrayList<>();
    for (String r : List.of("a", "b", "c")) {
      RunbookEngine e = engine(journal(r));
      track(e, r);
      engines.add(e);
    }
    for (int i = 0; i < 6; i++) {
      handles.add(engines.get(i % 3).start(rb, new Params("db"), RunOptions.defaults()));
      time.runUntilIdle();
    }
    for (RunHandle h : handles) {
      assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED);
    }
    // each run's span at the target, from its first step's start to its last step's end
    Map<String, Instant[]> spans = new LinkedHashMap<>();
    for (Effect e : effects) {
      spans.merge(e.runId(), new Instant[] {e.start(), e.end()},
          (x, y) -> new Instant[] {x[0].isBefore(y[0]) ? x[0] : y[0], x[1].isAfter(y[1]) ? x[1] : y[1]});
    }
    assertThat(spans).hasSize(6);
    List<Instant[]> ordered = new ArrayList<>(spans.values());
    ordered.sort(Comparator.comparing(x -> x[0]));
    for (int i = 1; i < ordered.size(); i++) {
      assertThat(ordered.get(i)[0]).as("run %d starts after run %d ended", i, i - 1)
          .isAfterOrEqualTo(ordered.get(i - 1)[1]);
    }
    // and every grant had a fresh fencing token
    assertThat(effects.stream().map(Effect::token).distinct().count()).isEqualTo(6);
    assertThat(runnersUsed()).containsExactlyInAnyOrder("a", "b", "c");
  }

  private List<String> runnersUsed() {
    return effects.stream().map(Effect::runner).distinct().toList();
  }

  @Test
  void aRunnerThatStalledPastItsLeaseIsFencedOff() {
    // runner a renews its leases only every 10 hours: it "stalls" inside a long step
    Runbook<Params> rb = deploy("deploy", Duration.ofMinutes(2), null, LockPolicy.FIFO, "s1", "s2", "s3");
    JdbcJournal ja = journal("a");
    RunbookEngine a = RunbookEngine.builder().virtualTime(time).journal(ja).heartbeat(Duration.ofHours(10)).build();
    open.add(0, a);
    track(a, "a");
    RunbookEngine b = engine(journal("b"), rb);
    track(b, "b");
    RunHandle onA = a.start(rb, new Params("db"), RunOptions.defaults());
    String id = onA.runId();

    time.advance(Duration.ofMinutes(10));

    assertThat(b.status(id).state()).isEqualTo(RunState.SUCCEEDED);
    // a's s2 finished after b had taken the run: its outcome was refused and a called nothing more
    assertThatThrownBy(onA::await).isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("owned by runner 'b'");
    List<Effect> mine = effects.stream().filter(e -> e.runId().equals(id)).toList();
    assertThat(mine.stream().filter(e -> e.runner().equals("a")).map(Effect::step)).doesNotContain("s3");
    assertThat(mine.stream().filter(e -> e.step().equals("s3")).map(Effect::runner)).containsExactly("b");
    // b took the lock again under a newer token; a's token no longer passes the fencing check
    long tokenOfA = mine.stream().filter(e -> e.runner().equals("a")).mapToLong(Effect::token).max().orElseThrow();
    long tokenOfB = mine.stream().filter(e -> e.runner().equals("b")).mapToLong(Effect::token).max().orElseThrow();
    assertThat(tokenOfB).isGreaterThan(tokenOfA);
    LockManager locks = ja.lockManager().orElseThrow();
    assertThat(locks.holds("target/db", id, tokenOfA)).isFalse();
  }

  @Test
  void aStaleFencingTokenStopsTheRunBeforeItsNextMutatingStep() {
    Runbook<Params> rb = deploy("deploy", Duration.ofMinutes(2), null, LockPolicy.FIFO, "s1", "s2", "s3");
    JdbcJournal ja = journal("a");
    RunbookEngine a = engine(ja);
    track(a, "a");
    RunHandle run = a.start(rb, new Params("db"), RunOptions.defaults());
    time.advance(Duration.ofMinutes(1));  // s1 in progress
    // the lock is handed on behind the run's back (another runner's operator, say): the token is stale now
    LockManager other = journal("ops").lockManager().orElseThrow();
    assertThat(other.forceRelease("target/db")).isEqualTo(run.runId());
    assertThat(other.acquire("target/db", "someone-else", "x", LockPolicy.FIFO, null)).isPositive();

    assertThatThrownBy(run::await).isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("no longer holds lock 'target/db' under fencing token 1")
        .hasMessageContaining("step 's2' is not called");
    assertThat(effects.stream().map(Effect::step)).containsExactly("s1");
  }

  @Test
  void queuePoliciesAcrossRunners() {
    Runbook<Params> fifo = deploy("fifo", Duration.ofMinutes(5), null, LockPolicy.FIFO, "s1");
    Runbook<Params> latest = deploy("latest", Duration.ofMinutes(5), null, LockPolicy.LATEST_WINS, "s1");
    Runbook<Params> failFast = deploy("fail-fast", Duration.ofMinutes(5), null, LockPolicy.FAIL_FAST, "s1");
    RunbookEngine a = engine(journal("a"));
    RunbookEngine b = engine(journal("b"));

    // FIFO: the order of asking, across runners
    List<RunHandle> queued = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      queued.add((i % 2 == 0 ? a : b).start(fifo, new Params("f"), RunOptions.defaults()));
      time.runUntilIdle();
    }
    queued.forEach(h -> assertThat(h.await().state()).isEqualTo(RunState.SUCCEEDED));
    assertThat(effects.stream().map(Effect::runId)).containsExactlyElementsOf(queued.stream().map(RunHandle::runId)
        .toList());

    // latest-wins: runs still waiting are superseded by the newest; the holder is not interrupted
    effects.clear();
    RunHandle holder = a.start(latest, new Params("l"), RunOptions.defaults());
    time.runUntilIdle();
    RunHandle older = b.start(latest, new Params("l"), RunOptions.defaults());
    time.runUntilIdle();
    RunHandle old = a.start(latest, new Params("l"), RunOptions.defaults());
    time.runUntilIdle();
    RunHandle newest = b.start(latest, new Params("l"), RunOptions.defaults());
    assertThat(holder.await().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(newest.await().state()).isEqualTo(RunState.SUCCEEDED);
    for (RunHandle[] pair : List.of(new RunHandle[] {older, old}, new RunHandle[] {old, newest})) {
      RunResult r = pair[0].await();
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.started()).isEmpty();
      assertThat(r.failure().orElseThrow()).hasMessageContaining("superseded by run " + pair[1].runId());
    }
    assertThat(effects.stream().map(Effect::runId)).containsExactly(holder.runId(), newest.runId());

    // fail-fast: no waiting, the holder named
    RunHandle busy = a.start(failFast, new Params("x"), RunOptions.defaults());
    time.runUntilIdle();
    RunResult refused = b.run(failFast, new Params("x"), RunOptions.defaults());
    assertThat(refused.state()).isEqualTo(RunState.ROLLED_BACK);
    assertThat(refused.started()).isEmpty();
    assertThat(refused.failure().orElseThrow()).isInstanceOf(LockUnavailableException.class)
        .hasMessageContaining("lock 'target/x' is held by run " + busy.runId());
    assertThat(busy.await().state()).isEqualTo(RunState.SUCCEEDED);
  }

  @Test
  void aRunThatFailedToRollBackKeepsItsLockUntilAnOperatorReleasesItWithAJournaledReason() {
    Runbook<Params> broken = Runbook.builder("broken", Params.class)
        .lock(p -> "target/" + p.target())
        .step("change", s -> s.action(ctx -> "x").compensate((ctx, out) -> {
          throw new IllegalStateException("undo broke");
        }))
        .step("verify", s -> s.action(ctx -> {
          throw new IllegalStateException("verify failed");
        }).readOnly())
        .build();
    Runbook<Params> next = deploy("next", Duration.ofMinutes(1), null, LockPolicy.FIFO, "s1");
    RunbookEngine a = engine(journal("a"));
    RunbookEngine b = engine(journal("b"));
    RunResult failed = a.run(broken, new Params("db"), RunOptions.defaults());
    assertThat(failed.state()).isEqualTo(RunState.ROLLBACK_FAILED);

    RunHandle waiting = b.start(next, new Params("db"), RunOptions.defaults());
    time.advance(Duration.ofHours(1));
    assertThat(waiting.status().state()).isEqualTo(RunState.WAITING);
    assertThat(effects).isEmpty();
    assertThatThrownBy(() -> b.releaseLock("target/nothing", "ops", "x")).isInstanceOf(IllegalStateException.class)
        .hasMessage("Lock 'target/nothing' is not held by any run");

    assertThat(b.releaseLock("target/db", "alice", "restored the schema by hand, INC-42")).isEqualTo(failed.runId());

    assertThat(waiting.await().state()).isEqualTo(RunState.SUCCEEDED);
    RunEvent last = a.history(failed.runId()).get(a.history(failed.runId()).size() - 1);
    assertThat(last).isInstanceOfSatisfying(RunEvent.LockForceReleased.class, e -> {
      assertThat(e.key()).isEqualTo("target/db");
      assertThat(e.by()).isEqualTo("alice");
      assertThat(e.reason()).isEqualTo("restored the schema by hand, INC-42");
    });
    assertThat(a.status(failed.runId()).state()).isEqualTo(RunState.ROLLBACK_FAILED);
  }
}
