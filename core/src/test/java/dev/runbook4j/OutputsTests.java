package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.VirtualTime;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Outputs are normalised where they enter: a later step and a compensation see the same value
 * whether the run went on in memory, parked in the journal and was woken, or was resumed after a
 * restart — for a typed step (its record) and an untyped one (the JSON shape), on SQLite and on
 * PostgreSQL. A step that started and produced no output reads as null, in its compensation's
 * {@code out} and through {@code ctx.output}.
 */
class OutputsTests {
  record Release(String version, int replicas) {}

  static final StepKey<Release> TYPED = StepKey.of("typed", Release.class);

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

  private static String url(String db) {
    return db.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve(UUID.randomUUID() + ".db")
        : postgres.getJdbcUrl("postgres", "postgres");
  }

  /** What every reader saw, in the order they read. */
  private final List<Object> seen = new CopyOnWriteArrayList<>();

  private Runbook<Void> runbook() {
    return Runbook.builder("outputs")
        .step(TYPED, s -> s.action(ctx -> new Release("2.1.0", 3)).compensate((ctx, out) -> {
          seen.add(out);
          seen.add(ctx.output(TYPED));
        }))
        .step("untyped", s -> s.action(ctx -> new Release("2.1.0", 3)).compensate((ctx, out) -> {
          seen.add(out);
          seen.add(ctx.output("untyped"));
        }))
        .sleep("settle", Duration.ofHours(2))
        .step("reader", s -> s.action(ctx -> {
          seen.add(ctx.output(TYPED));
          seen.add(ctx.output("untyped"));
          return "read";
        }).readOnly())
        .step("silent", s -> s.action(ctx -> {
          throw new IllegalStateException("no output");
        }).compensate((ctx, out) -> {
          seen.add(String.valueOf(out));
          seen.add(String.valueOf(ctx.output("silent")));
        }))
        .build();
  }

  private List<Object> live(String db) {
    seen.clear();
    try (JdbcJournal j = JdbcJournal.open(url(db));
        RunbookEngine e = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(j).noParking().build()) {
      assertThat(e.run(runbook(), null).state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(e.load().parked()).isZero();
    }
    return new ArrayList<>(seen);
  }

  private List<Object> parked(String db) {
    seen.clear();
    VirtualTime time = VirtualTime.create();
    try (JdbcJournal j = JdbcJournal.open(url(db));
        RunbookEngine e = RunbookEngine.builder().virtualTime(time).journal(j).build()) {
      RunHandle h = e.start(runbook(), null, RunOptions.defaults());
      time.runUntilIdle();
      assertThat(e.load()).isEqualTo(new RunbookEngine.Load(0, 1));  // in the journal, nothing in memory
      time.advance(Duration.ofHours(3));
      assertThat(h.result().join().state()).isEqualTo(RunState.ROLLED_BACK);
    }
    return new ArrayList<>(seen);
  }

  private List<Object> restarted(String db) {
    seen.clear();
    String url = url(db);
    String runId = "restart-" + UUID.randomUUID();
    VirtualTime time = VirtualTime.create();
    try (JdbcJournal j = JdbcJournal.open(url);
        RunbookEngine first = RunbookEngine.builder().virtualTime(time).journal(j).noParking().build()) {
      first.start(runbook(), null, RunOptions.defaults().withRunId(runId));
      time.advance(Duration.ofMinutes(5));  // in its sleep; then this engine and its journal go away
    }
    try (JdbcJournal j = JdbcJournal.open(url);
        RunbookEngine second = RunbookEngine.builder().virtualTime(time).journal(j).build()) {
      RunHandle h = second.resume(runId, runbook());
      time.advance(Duration.ofHours(3));
      assertThat(h.result().join().state()).isEqualTo(RunState.ROLLED_BACK);
    }
    return new ArrayList<>(seen);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aCompensationAndALaterStepSeeEqualOutputsLiveAfterParkingAndAfterARestart(String db) {
    List<Object> live = live(db);
    Release typed = new Release("2.1.0", 3);
    Map<String, Object> shape = Map.of("replicas", 3, "version", "2.1.0");
    // the later step, then the rollback: silent (null twice), untyped, typed
    assertThat(live).containsExactly(typed, shape, "null", "null", shape, shape, typed, typed);
    assertThat(parked(db)).isEqualTo(live);
    assertThat(restarted(db)).isEqualTo(live);
    assertThat(String.valueOf(live.get(1))).isEqualTo("{replicas=3, version=2.1.0}");  // the journal's order, live too
  }
}
