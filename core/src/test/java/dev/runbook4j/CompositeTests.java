package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CompositeTests {
  record Hosts(List<String> hosts) {}

  @Test
  void parallelBranchesRunAtTheSameTime() {
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("par")
          .parallel("regions", p -> p
              .branch("eu", b -> b.step("eu-deploy", h.effect("eu")).sleep("eu-bake", Duration.ofHours(1)))
              .branch("us", b -> b.step("us-deploy", h.effect("us")).sleep("us-bake", Duration.ofHours(1))))
          .build();
      java.time.Instant t0 = h.time.now();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(Duration.between(t0, h.time.now())).isEqualTo(Duration.ofHours(1));
    }
  }

  @Test
  void whenABranchFailsTheOthersStartNoNewNode() {
    try (Harness h = new Harness()) {
      h.failing.add("eu-1");
      Runbook<Void> rb = Runbook.builder("par-fail")
          .parallel("regions", p -> p
              .branch("eu", b -> b.step("eu-1", h.effect("eu-1")))
              .branch("us", b -> b.sleep("us-wait", Duration.ofMinutes(5)).step("us-1", h.effect("us-1"))))
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.effects).doesNotContain("do:us-1");
      assertThat(r.compensated()).containsExactly("regions/eu/eu-1");
    }
  }

  @org.junit.jupiter.api.io.TempDir
  java.nio.file.Path dir;

  /**
   * On real threads and a journal that syncs every write (SQLite): once a branch's step has failed,
   * its sibling starts at most the one step it was already starting, not several while the failure
   * is being journaled.
   */
  @Test
  void aFailedBranchStopsItsSiblingsPromptlyOnRealThreads() throws Exception {
    java.util.concurrent.CountDownLatch fifth = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger atFailure = new java.util.concurrent.atomic.AtomicInteger(-1);
    Runbook.Builder<Void> b = Runbook.builder("prompt");
    Runbook<Void> rb = b.parallel("both", p -> p
        .branch("failing", br -> br.step("breaks", s -> s.action(ctx -> {
          fifth.await();
          atFailure.set(started.get());
          throw new IllegalStateException("broke");
        }).compensate((ctx, o) -> {})))
        .branch("busy", br -> {
          for (int i = 0; i < 200; i++) {
            br.step("b" + i, s -> s.action(ctx -> {
              if (started.incrementAndGet() == 5) {
                fifth.countDown();
              }
              return 1;
            }).compensate((ctx, o) -> {}));
          }
        }))
        .build();
    try (dev.runbook4j.journal.jdbc.JdbcJournal j = dev.runbook4j.journal.jdbc.JdbcJournal.sqlite(dir.resolve("j.db"));
        RunbookEngine engine = RunbookEngine.builder().journal(j).build()) {
      RunResult r = engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(started.get() - atFailure.get()).as("steps the busy branch started after the failure")
          .isLessThanOrEqualTo(1);
    }
  }

  @Test
  void aForEachPastMaxErrorsStopsItsItemsInFlightPromptlyOnRealThreads() throws Exception {
    java.util.concurrent.CountDownLatch fifth = new java.util.concurrent.CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    AtomicInteger atFailure = new AtomicInteger(-1);
    Runbook<Hosts> rb = Runbook.builder("prompt", Hosts.class)
        .forEach("hosts", Hosts::hosts, 3, 1, b -> {
          for (int i = 0; i < 100; i++) {
            int n = i;
            b.step("s" + i, s -> s.action(ctx -> {
              String host = ctx.item(String.class);
              if (host.equals("flaky")) {
                throw new IllegalStateException("tolerated");  // within maxErrors: halts nobody but its item
              }
              if (host.equals("broken")) {
                // the busy item goes on past the tolerated failure (or this times out and the test fails)
                assertThat(fifth.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                atFailure.set(started.get());
                throw new IllegalStateException("one too many");
              }
              if (started.incrementAndGet() == 5) {
                fifth.countDown();
              }
              return n;
            }).compensate((ctx, o) -> {}));
          }
        })
        .build();
    try (dev.runbook4j.journal.jdbc.JdbcJournal j = dev.runbook4j.journal.jdbc.JdbcJournal.sqlite(dir.resolve("j.db"));
        RunbookEngine engine = RunbookEngine.builder().journal(j).build()) {
      RunResult r = engine.run(rb, new Hosts(List.of("flaky", "busy", "broken")));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.failure().orElseThrow()).isInstanceOf(ThresholdExceededException.class);
      assertThat(started.get() - atFailure.get()).as("steps the busy item started after the second failure")
          .isLessThanOrEqualTo(1);
      assertThat(r.started()).contains("hosts[flaky]/s0", "hosts[broken]/s0")
          .doesNotContain("hosts[flaky]/s1", "hosts[broken]/s1");
    }
  }

  @Test
  void forEachRunsEveryItemAndExposesTheItem() {
    try (Harness h = new Harness()) {
      Runbook<Hosts> rb = Runbook.builder("fleet", Hosts.class)
          .forEach("hosts", Hosts::hosts, 2, 0, b -> b
              .step("drain", s -> s.action(ctx -> {
                h.effects.add("drain:" + ctx.item(String.class));
                return "drained-" + ctx.item(String.class);
              }).compensate((ctx, o) -> h.effects.add("undrain:" + ctx.item(String.class))))
              .step("check", s -> s.action(ctx -> ctx.output("drain")).readOnly()))
          .build();
      RunResult r = h.engine.run(rb, new Hosts(List.of("h1", "h2", "h3")));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(r.outputs()).containsEntry("hosts[h2]/check", "drained-h2");
      assertThat(r.started()).hasSize(6);
    }
  }

  @Test
  void forEachNeverRunsMoreThanMaxConcurrencyItemsAtOnce() {
    try (Harness h = new Harness()) {
      AtomicInteger inFlight = new AtomicInteger();
      AtomicInteger peak = new AtomicInteger();
      Runbook<Hosts> rb = Runbook.builder("bounded", Hosts.class)
          .forEach("hosts", Hosts::hosts, 3, 0, b -> b
              .step("enter", s -> s.action(ctx -> peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max)).readOnly())
              .sleep("work", Duration.ofMinutes(1))
              .step("leave", s -> s.action(ctx -> inFlight.decrementAndGet()).readOnly()))
          .build();
      RunResult r = h.engine.run(rb, new Hosts(List.of("a", "b", "c", "d", "e", "f", "g", "h")));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(peak.get()).isEqualTo(3);
    }
  }

  @Test
  void forEachToleratesUpToMaxErrorsFailedItems() {
    try (Harness h = new Harness()) {
      h.failing.add("h2");
      Runbook<Hosts> rb = Runbook.builder("tolerant", Hosts.class)
          .forEach("hosts", Hosts::hosts, 1, 1, b -> b
              .step("patch", s -> s.action(ctx -> {
                String host = ctx.item(String.class);
                h.effects.add("do:" + host);
                if (h.failing.contains(host)) {
                  throw new IllegalStateException(host + " unreachable");
                }
                return host;
              }).compensate((ctx, o) -> h.effects.add("undo:" + ctx.item(String.class)))))
          .build();
      RunResult r = h.engine.run(rb, new Hosts(List.of("h1", "h2", "h3")));
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(h.effects).containsExactly("do:h1", "do:h2", "do:h3");
    }
  }

  @Test
  void forEachPastMaxErrorsStartsNoNewItemLetsInFlightStepsFinishAndCompensatesCompletedOnes() {
    java.util.concurrent.CountDownLatch h2Started = new java.util.concurrent.CountDownLatch(1);
    try (Harness h = new Harness()) {
      Runbook<Hosts> rb = Runbook.builder("threshold", Hosts.class)
          .forEach("hosts", Hosts::hosts, 2, 0, b -> b
              .step("patch", s -> s.action(ctx -> {
                String host = ctx.item(String.class);
                h.effects.add("do:" + host);
                if (host.equals("h1")) {
                  awaitQuietly(h2Started);  // h2's step has started by then
                  throw new IllegalStateException("h1 unreachable");
                }
                h2Started.countDown();
                ctx.sleep(Duration.ofMinutes(1));  // h2's step is in flight when h1 fails: it finishes
                h.effects.add("done:" + host);
                return host;
              }).compensate((ctx, o) -> h.effects.add("undo:" + ctx.item(String.class)))))
          .build();
      RunResult r = h.engine.run(rb, new Hosts(List.of("h1", "h2", "h3", "h4")));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(h.effects).contains("done:h2").doesNotContain("do:h3", "do:h4");
      assertThat(r.compensated()).containsExactlyInAnyOrder("hosts[h1]/patch", "hosts[h2]/patch");
      assertThat(r.failure().orElseThrow()).isInstanceOf(ThresholdExceededException.class)
          .hasMessage("forEach 'hosts' of run " + r.runId() + " (threshold): 1 of 4 items failed, more than maxErrors 0;"
              + " no new items were started");
    }
  }

  private static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
    try {
      assertThat(latch.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aStepReadsAnEarlierStepsOutputTypeSafely() {
    StepKey<Integer> version = StepKey.of("publish", Integer.class);
    try (Harness h = new Harness()) {
      Runbook<Void> rb = Runbook.builder("typed")
          .step(version, s -> s.action(ctx -> 42).compensate((ctx, v) -> h.effects.add("delete version " + (v + 0))))
          .step("alias", s -> s.action(ctx -> "live -> " + (ctx.output(version) + 1)).compensate((ctx, o) -> {}))
          .step("fail", s -> s.action(ctx -> {
            throw new IllegalStateException("x");
          }).readOnly())
          .build();
      RunResult r = h.engine.run(rb, null);
      assertThat(r.outputs()).containsEntry("alias", "live -> 43");
      assertThat(h.effects).containsExactly("delete version 42");
    }
  }
}
