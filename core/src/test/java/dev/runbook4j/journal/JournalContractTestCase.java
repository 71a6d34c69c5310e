package dev.runbook4j.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.RetrySpec;
import dev.runbook4j.Reversibility;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.Wait;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The journal contract: every {@link Journal} implementation runs these tests. */
abstract class JournalContractTestCase {
  static final Instant T0 = Instant.parse("2026-03-02T09:00:00.123456789Z");

  /** The journal under test; the same instance for the whole test method. */
  abstract Journal journal();

  static String newRunId() {
    return "run-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static List<RunEvent> sampleRun(String runId) {
    return List.of(
        new RunEvent.RunStarted(runId, "deploy", "ab".repeat(32), "alice", "{\"version\":\"1.2.3\"}", T0),
        new RunEvent.StepStarted(runId, "publish", 1, runId + ":publish", T0.plusSeconds(1)),
        new RunEvent.StepSucceeded(runId, "publish", 1, "v42", T0.plusSeconds(2)),
        new RunEvent.WaitStarted(runId, "soak", Wait.Kind.BAKE, T0.plusSeconds(602), T0.plusSeconds(2)),
        new RunEvent.StepFailed(runId, "shift", 2, "IllegalStateException: 503", true, T0.plusSeconds(700)),
        new RunEvent.StepRetryScheduled(runId, "shift", 3, T0.plusSeconds(710), T0.plusSeconds(700)),
        new RunEvent.RollbackStarted(runId, "Step 'shift' failed", List.of("shift", "publish"), T0.plusSeconds(720)),
        new RunEvent.CompensationSkipped(runId, "check", Reversibility.READ_ONLY, T0.plusSeconds(721)),
        new RunEvent.RunStateChanged(runId, RunState.ROLLING_BACK, RunState.ROLLED_BACK, "done", T0.plusSeconds(722)),
        new RunEvent.RunFinished(runId, RunState.ROLLED_BACK, "rolled back", T0.plusSeconds(722)));
  }

  @Test
  void aDecisionIsAppendedOnlyOnTheJournalItWasTakenOnAndNeverAfterTheEnd() {
    Journal journal = journal();
    String runId = newRunId();
    List<RunEvent> events = sampleRun(runId);
    journal.append(events.get(0));
    journal.append(events.get(1));
    RunEvent cancel = new RunEvent.CancelRequested(runId, "oncall", "", T0.plusSeconds(3));
    assertThat(journal.appendIf(runId, 1, List.of(cancel))).isFalse();
    assertThat(journal.appendIf(runId, 2, List.of(cancel, cancel))).isTrue();
    assertThat(journal.read(runId)).hasSize(4);
    assertThat(journal.lengths(List.of(runId))).containsEntry(runId, 4L);
    assertThatThrownBy(() -> journal.append(events.get(0))).isInstanceOf(dev.runbook4j.JournalException.class);
    journal.append(events.get(events.size() - 1));
    assertThat(journal.appendIf(runId, 5, List.of(cancel))).isFalse();
    assertThat(journal.read(runId)).hasSize(5);
  }

  @Test
  void eventsAreReadBackInAppendOrderAsTheyWereWritten() {
    Journal journal = journal();
    String runId = newRunId();
    List<RunEvent> events = sampleRun(runId);
    events.forEach(journal::append);
    assertThat(journal.read(runId)).containsExactlyElementsOf(events);
  }

  @Test
  void anUnknownRunHasNoEvents() {
    assertThat(journal().read("no-such-run")).isEmpty();
  }

  @Test
  void runIdsAreListedOldestFirst() {
    Journal journal = journal();
    String a = newRunId();
    String b = newRunId();
    journal.append(sampleRun(a).get(0));
    journal.append(sampleRun(b).get(0));
    journal.append(sampleRun(a).get(1));
    List<String> ids = journal.runIds();
    assertThat(ids).contains(a, b);
    assertThat(ids.indexOf(a)).isLessThan(ids.indexOf(b));
  }

  @Test
  void concurrentAppendsToManyRunsKeepEachRunsOrder() throws Exception {
    Journal journal = journal();
    List<String> runs = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        String runId = newRunId();
        runs.add(runId);
        futures.add(pool.submit(() -> {
          for (int i = 1; i <= 25; i++) {
            journal.append(new RunEvent.StepStarted(runId, "s" + i, 1, runId + ":s" + i, T0.plusSeconds(i)));
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    for (String runId : runs) {
      assertThat(journal.read(runId)).extracting(e -> ((RunEvent.StepStarted) e).stepId())
          .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 25).mapToObj(i -> "s" + i).toList());
    }
  }

  @Test
  void theEngineRunsAndRollsBackOnThisJournal() {
    Journal journal = journal();
    VirtualTime time = VirtualTime.create();
    List<RunEvent> seen = new CopyOnWriteArrayList<>();
    List<String> effects = new CopyOnWriteArrayList<>();
    Runbook<Void> rb = Runbook.builder("contract")
        .step("a", s -> s.action(ctx -> Map.of("version", 7)).compensate((ctx, out) -> effects.add("undo a " + out)))
        .sleep("pause", Duration.ofMinutes(10))
        .step("b", s -> s.action(ctx -> {
          throw new IllegalStateException("b broke");
        }).compensate((ctx, out) -> effects.add("undo b"), RetrySpec.of(1)))
        .build();
    try (RunbookEngine engine = RunbookEngine.builder().journal(journal).virtualTime(time).listener(seen::add).build()) {
      RunResult r = engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(effects).containsExactly("undo b", "undo a {version=7}");
      List<RunEvent> stored = journal.read(r.runId());
      assertThat(stored).hasSameSizeAs(seen);
      assertThat(stored).extracting(e -> e.getClass().getSimpleName())
          .containsExactlyElementsOf(seen.stream().map(e -> e.getClass().getSimpleName()).toList());
      assertThat(stored).last().isEqualTo(seen.get(seen.size() - 1));
      assertThat(engine.status(r.runId()).state()).isEqualTo(RunState.ROLLED_BACK);
    }
  }
}
