package dev.runbook4j.internal.run;

import dev.runbook4j.ForEach;
import dev.runbook4j.Gate;
import dev.runbook4j.Group;
import dev.runbook4j.Node;
import dev.runbook4j.Parallel;
import dev.runbook4j.Step;
import dev.runbook4j.ThresholdExceededException;
import dev.runbook4j.Wait;
import dev.runbook4j.Watch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sequences, groups, parallels and forEach loops, and the dispatch of each node to its room. A
 * node that fails halts the parallel scope around it at once: its sibling branches start no new
 * node; a forEach past its error threshold starts no new item (items in flight finish).
 */
final class Composites {
  private final Run run;

  Composites(Run run) {
    this.run = run;
  }

  @SuppressWarnings("unchecked")
  CompletableFuture<Outcome> node(Node n, Frame frame) {
    try {
      java.util.Optional<dev.runbook4j.When<?>> when = n.when();
      if (when.isPresent()) {
        Outcome skipped = run.choices.skipOrRun(n, when.get(), frame.child(n.name()), frame);
        if (skipped != null) {
          return Run.done(skipped);
        }
      }
      if (n instanceof Step<?, ?> s) {
        return run.steps.step((Step<Object, Object>) s, frame);
      } else if (n instanceof Gate<?> g) {
        return run.gates.gate((Gate<Object>) g, frame);
      } else if (n instanceof Wait<?> w) {
        return run.waits.waitNode((Wait<Object>) w, frame);
      } else if (n instanceof Group<?> g) {
        return sequence(g.nodes(), frame.group(frame.child(g.name()), (List<Watch<Object>>) (List<?>) g.watches()));
      } else if (n instanceof Parallel<?> p) {
        return parallel((Parallel<Object>) p, frame);
      } else if (n instanceof dev.runbook4j.Choice<?> c) {
        return run.choices.choose((dev.runbook4j.Choice<Object>) c, frame);
      } else if (n instanceof dev.runbook4j.Succeed<?> s) {
        return Run.done(run.choices.succeed(s, frame));
      } else {
        return forEach((ForEach<Object, Object>) n, frame);
      }
    } catch (RuntimeException e) {
      return Run.done(run.internalError(e));
    }
  }

  CompletableFuture<Outcome> sequence(List<Node> nodes, Frame frame) {
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    continueSequence(nodes, 0, frame, result);
    return result;
  }

  private void continueSequence(List<Node> nodes, int from, Frame frame, CompletableFuture<Outcome> result) {
    for (int i = from; i < nodes.size(); i++) {
      Outcome cancelled = run.cancelledOrNull();
      if (cancelled != null) {
        result.complete(cancelled);
        return;
      }
      if (frame.halted()) {
        result.complete(Outcome.STOPPED);
        return;
      }
      CompletableFuture<Outcome> o = node(nodes.get(i), frame);
      if (!o.isDone()) {
        int next = i + 1;
        o.whenComplete((out, err) -> {
          Outcome r = err == null ? out : run.internalError(err);
          if (r.ok()) {
            continueSequence(nodes, next, frame, result);
          } else {
            ended(frame, r, result);
          }
        });
        return;
      }
      Outcome out = o.isCompletedExceptionally() ? o.handle((r, e) -> run.internalError(e)).join() : o.getNow(null);
      if (!out.ok()) {
        ended(frame, out, result);
        return;
      }
    }
    result.complete(Outcome.OK);
  }

  /** A sequence ends early with {@code o}: a failure halts its parallel scope before anything else. */
  private static void ended(Frame frame, Outcome o, CompletableFuture<Outcome> result) {
    if (o.kind() != Outcome.Kind.STOPPED) {
      frame.haltSiblings(o.kind());
    }
    result.complete(o);
  }

  private CompletableFuture<Outcome> parallel(Parallel<Object> p, Frame frame) {
    run.concurrent.incrementAndGet();
    return branches(p, frame).whenComplete((o, e) -> run.concurrent.decrementAndGet());
  }

  private CompletableFuture<Outcome> branches(Parallel<Object> p, Frame frame) {
    String id = frame.child(p.name());
    AtomicBoolean halt = new AtomicBoolean();
    Frame scope = frame.haltScope(id, halt);
    AtomicReference<Outcome> worst = new AtomicReference<>(Outcome.OK);
    List<CompletableFuture<Outcome>> branches = new ArrayList<>();
    for (Group<Object> b : p.branches()) {
      // failFast off: each branch its own halt scope, so that a failure stops only its own branch
      Frame bf = (p.failFast() ? scope : frame.haltScope(id, new AtomicBoolean()))
          .group(id + "/" + b.name(), b.watches());
      CompletableFuture<Outcome> r = new CompletableFuture<>();
      branches.add(r);
      run.onWorker(() -> branch(b, bf).whenComplete((o, e) -> {
        Outcome out = e == null ? o : run.internalError(e);
        if (out.kind() != Outcome.Kind.OK && out.kind() != Outcome.Kind.STOPPED && p.failFast()) {
          halt.set(true);
        }
        worst.accumulateAndGet(out, (a, c) -> c.severity() > a.severity() ? c : a);
        r.complete(out);
      }));
    }
    return CompletableFuture.allOf(branches.toArray(new CompletableFuture<?>[0])).thenApply(x -> worst.get());
  }

  /** A parallel's branch: its nodes, unless its condition says it is skipped. */
  private CompletableFuture<Outcome> branch(Group<Object> b, Frame bf) {
    if (b.when().isPresent()) {
      Outcome skipped = run.choices.skipOrRun(b, b.when().get(), bf.path, bf);
      if (skipped != null) {
        return Run.done(skipped);
      }
    }
    return sequence(b.nodes(), bf);
  }

  private CompletableFuture<Outcome> forEach(ForEach<Object, Object> fe, Frame frame) {
    run.concurrent.incrementAndGet();
    return items(fe, frame).whenComplete((o, e) -> run.concurrent.decrementAndGet());
  }

  private CompletableFuture<Outcome> items(ForEach<Object, Object> fe, Frame frame) {
    String id = frame.child(fe.name());
    String staticPath = run.index.staticPath(fe.name());
    List<?> list = run.index.items(fe.name());
    if (list.isEmpty()) {
      return Run.done(Outcome.OK);
    }
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    Frame.Tolerance tolerance = new Frame.Tolerance(fe.maxErrors());
    new Object() {
      int next;
      int inFlight;
      int failed;
      boolean stop;
      Outcome first;
      Outcome worst;

      void launch() {
        List<Runnable> toStart = new ArrayList<>();
        boolean finished;
        synchronized (this) {
          while (!stop && !tolerance.halt.get() && inFlight < fe.maxConcurrency() && next < list.size()
              && !frame.halted()) {
            Object item = list.get(next++);
            inFlight++;
            String rid = id + "[" + item + "]";
            Frame itf = frame.item(staticPath, rid, item, tolerance);
            toStart.add(() -> sequence(fe.nodes(), itf).whenComplete((o, e) -> done(e == null ? o
                : run.internalError(e))));
          }
          finished = inFlight == 0 && toStart.isEmpty();
        }
        toStart.forEach(run::onWorker);
        if (finished) {
          complete();
        }
      }

      void done(Outcome o) {
        synchronized (this) {
          inFlight--;
          if (o.kind() == Outcome.Kind.FAILED) {
            failed++;
            if (first == null) {
              first = o;
            }
            if (failed > fe.maxErrors()) {
              stop = true;
              tolerance.halt.set(true);
            }
          } else if (!o.ok() && o.kind() != Outcome.Kind.STOPPED) {
            stop = true;
            tolerance.halt.set(true);
            if (worst == null || o.severity() > worst.severity()) {
              worst = o;
            }
          }
        }
        launch();
      }

      void complete() {
        if (result.isDone()) {
          return;
        }
        Outcome r;
        synchronized (this) {
          if (worst != null) {
            r = worst;
          } else if (failed > fe.maxErrors()) {
            r = Outcome.failed(new ThresholdExceededException(run.runbook.name(), run.runId, id, failed, list.size(),
                fe.maxErrors(), first.cause()));
          } else {
            r = Outcome.OK;
          }
        }
        result.complete(r);
      }
    }.launch();
    return result;
  }
}
