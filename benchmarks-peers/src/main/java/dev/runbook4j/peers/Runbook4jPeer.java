package dev.runbook4j.peers;

import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.spi.Journal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The saga as a Runbook4j runbook: one compensated step per step; the failing step throws. */
final class Runbook4jPeer implements Peer {
  private final String name;
  private final RunbookEngine engine;
  private final AutoCloseable journal;
  private final List<Integer> undone = Collections.synchronizedList(new ArrayList<>());
  private Runbook<Integer> runbook;
  private int builtFor;

  Runbook4jPeer(String name, Journal journal) {
    this.name = name;
    this.engine = RunbookEngine.builder().journal(journal).build();
    this.journal = journal instanceof AutoCloseable c ? c : null;
  }

  @Override
  public String name() {
    return name;
  }

  private Runbook<Integer> runbook(int steps) {
    if (runbook == null || builtFor != steps) {
      Runbook.Builder<Integer> b = Runbook.builder("saga", Integer.class);
      for (int i = 1; i <= steps; i++) {
        int n = i;
        b.step("s" + i, s -> s.action(ctx -> {
          if (ctx.params() == n) {
            throw new IllegalStateException("step " + n + " fails");
          }
          return n;
        }).compensate((ctx, out) -> undone.add(n)));
      }
      runbook = b.build();
      builtFor = steps;
    }
    return runbook;
  }

  @Override
  public List<Integer> saga(int steps, int failAt) {
    undone.clear();
    RunResult r = engine.run(runbook(steps), failAt);
    RunState expected = failAt == 0 ? RunState.SUCCEEDED : RunState.ROLLED_BACK;
    if (r.state() != expected) {
      throw new IllegalStateException(name + ": " + r);
    }
    return List.copyOf(undone);
  }

  @Override
  public void close() throws Exception {
    engine.close();
    if (journal != null) {
      journal.close();
    }
  }
}
