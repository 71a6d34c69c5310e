package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Property tests over random runbooks (nested groups, parallel branches, sleeps, random failing
 * steps and compensations): the saga invariants hold for every one. Each case is named by its
 * seed; replay one with {@code -Drunbook4j.seed=N}. (Written without a property-testing library:
 * a seeded generator is all these properties need.)
 */
class RandomRunbookProperties {
  private static final int CASES = Integer.getInteger("runbook4j.cases", 300);
  private static Harness harness;

  @BeforeAll
  static void start() {
    harness = new Harness();
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  /** What one generated runbook does, recorded by its own steps. */
  static final class World {
    final Set<String> failingSteps = ConcurrentHashMap.newKeySet();
    final Set<String> failingUndos = ConcurrentHashMap.newKeySet();
    final List<String> started = new CopyOnWriteArrayList<>();
    final Map<String, AtomicInteger> undos = new ConcurrentHashMap<>();
    final List<String> undoOrder = new CopyOnWriteArrayList<>();
    final StringBuilder shape = new StringBuilder();
    /** step name to its (block, index). */
    final Map<String, String[]> position = new ConcurrentHashMap<>();
    /** step name to the (block, index) of itself and every enclosing node. */
    final Map<String, List<String[]>> ancestry = new ConcurrentHashMap<>();
    int counter;
  }

  @TestFactory
  Stream<DynamicTest> sagaInvariantsHoldForRandomRunbooks() {
    Long only = Long.getLong("runbook4j.seed");
    LongStream seeds = only != null ? LongStream.of(only) : LongStream.range(1, CASES + 1);
    return seeds.mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> check(seed)));
  }

  private static void check(long seed) {
    Random random = new Random(seed);
    World w = new World();
    Runbook.Builder<Void> b = Runbook.builder("random-" + seed);
    fill(b, random, w, 0, "");
    Runbook<Void> rb = b.build();
    RunResult r = harness.engine.run(rb, null);
    String context = "seed " + seed + ", runbook:\n" + w.shape + "result: " + r;

    List<String> startedIds = r.started();
    boolean failureReached = startedIds.stream().anyMatch(w.failingSteps::contains);
    boolean undoFailureReached = startedIds.stream().anyMatch(w.failingUndos::contains);

    if (!failureReached) {
      assertThat(r.state()).as(context).isEqualTo(RunState.SUCCEEDED);
      assertThat(w.undos).as(context).isEmpty();
      return;
    }
    // the final state matches the failures injected
    assertThat(r.state()).as(context).isEqualTo(undoFailureReached ? RunState.ROLLBACK_FAILED : RunState.ROLLED_BACK);
    // each started step is compensated exactly once (a failing compensation: once per attempt, 2 attempts)
    for (String id : startedIds) {
      int expected = w.failingUndos.contains(id) ? 2 : 1;
      assertThat(w.undos.getOrDefault(id, new AtomicInteger()).get()).as(context + "\nundo count of " + id)
          .isEqualTo(expected);
    }
    // nothing that did not start is compensated
    assertThat(startedIds).as(context).containsAll(w.undos.keySet());
    // compensations run in reverse start order (so also in reverse within each branch)
    List<String> reversed = new ArrayList<>(startedIds);
    Collections.reverse(reversed);
    assertThat(w.undoOrder.stream().distinct().toList()).as(context).isEqualTo(reversed);
    assertThat(Collections.disjoint(r.compensated(), r.compensationFailed())).as(context).isTrue();
    // in a sequence, nothing after a failed step started
    for (String failed : startedIds) {
      if (!w.failingSteps.contains(failed)) {
        continue;
      }
      String[] f = w.position.get(leaf(failed));
      for (String other : startedIds) {
        List<String[]> chain = w.ancestry.get(leaf(other));
        for (String[] link : chain) {
          boolean later = link[0].equals(f[0]) && Integer.parseInt(link[1]) > Integer.parseInt(f[1]);
          assertThat(later).as(context + "\n" + other + " started after " + failed + " failed").isFalse();
        }
      }
    }
  }

  private static String leaf(String stepId) {
    return stepId.substring(stepId.lastIndexOf('/') + 1);
  }

  private static void fill(Nodes<Void, ?> into, Random random, World w, int depth, String indent) {
    fill(into, random, w, depth, indent, "root", List.of());
  }

  private static void fill(Nodes<Void, ?> into, Random random, World w, int depth, String indent, String block,
      List<String[]> outer) {
    int n = 1 + random.nextInt(depth == 0 ? 6 : 4);
    for (int i = 0; i < n; i++) {
      int kind = random.nextInt(10);
      List<String[]> here = new ArrayList<>(outer);
      here.add(new String[] {block, String.valueOf(i)});
      if (kind < 6 || depth >= 3) {
        String name = step(into, random, w, indent);
        w.position.put(name, new String[] {block, String.valueOf(i)});
        w.ancestry.put(name, here);
      } else if (kind == 6) {
        String name = "sleep" + (++w.counter);
        w.shape.append(indent).append(name).append('\n');
        into.sleep(name, Duration.ofMinutes(1 + random.nextInt(60)));
      } else if (kind < 9) {
        String name = "group" + (++w.counter);
        w.shape.append(indent).append(name).append('\n');
        into.group(name, g -> fill(g, random, w, depth + 1, indent + "  ", name, here));
      } else {
        String name = "par" + (++w.counter);
        w.shape.append(indent).append(name).append('\n');
        int branches = 2 + random.nextInt(2);
        into.parallel(name, p -> {
          for (int k = 0; k < branches; k++) {
            String bn = name + "-b" + k;
            w.shape.append(indent).append("  ").append(bn).append('\n');
            p.branch(bn, br -> fill(br, random, w, depth + 1, indent + "    ", bn, here));
          }
        });
      }
    }
  }

  private static String step(Nodes<Void, ?> into, Random random, World w, String indent) {
    String name = "s" + (++w.counter);
    boolean fails = random.nextInt(12) == 0;
    boolean undoFails = random.nextInt(15) == 0;
    w.shape.append(indent).append(name).append(fails ? " FAILS" : "").append(undoFails ? " UNDO-FAILS" : "")
        .append('\n');
    into.step(name, s -> s.action(ctx -> {
      if (fails) {
        w.failingSteps.add(ctx.stepId());
        throw new IllegalStateException(name + " injected failure");
      }
      return name;
    }).compensate((ctx, out) -> {
      w.undos.computeIfAbsent(ctx.stepId(), k -> new AtomicInteger()).incrementAndGet();
      w.undoOrder.add(ctx.stepId());
      if (undoFails) {
        w.failingUndos.add(ctx.stepId());
        throw new IllegalStateException(name + " undo injected failure");
      }
    }, RetrySpec.builder().maxAttempts(2).backoff(Duration.ofSeconds(1)).build()));
    return name;
  }
}
