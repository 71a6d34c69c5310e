package dev.runbook4j.internal.run;

import dev.runbook4j.Choice;
import dev.runbook4j.ForEach;
import dev.runbook4j.Group;
import dev.runbook4j.Node;
import dev.runbook4j.Parallel;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.Step;
import dev.runbook4j.Watch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where each node of the run's tree is: the static path of every name, forEach items (resolved and
 * checked before anything runs), and every step with the frame it runs in, forEach items expanded.
 * Made on first need (most runs never need it).
 */
final class RunIndex {
  /** A step with the frame it runs in. */
  record Located(String id, Step<Object, Object> step, Frame frame) {}

  private final Run run;
  private volatile Map<String, String> staticPaths;
  private volatile Map<String, List<?>> items;
  private volatile Map<String, Located> steps;

  RunIndex(Run run) {
    this.run = run;
    if (hasForEach(run.runbook.nodes())) {
      indexed();  // forEach items are resolved, and checked, before anything runs
    }
  }

  /** How many steps {@code nodes} hold (a forEach's body counted once): a fresh run's ledger is sized by it. */
  static int stepCount(List<Node> nodes) {
    int count = 0;
    for (Node n : nodes) {
      if (n instanceof Step<?, ?>) {
        count++;
      } else if (n instanceof Group<?> g) {
        count += stepCount(g.nodes());
      } else if (n instanceof Parallel<?> p) {
        for (Group<?> b : p.branches()) {
          count += stepCount(b.nodes());
        }
      } else if (n instanceof Choice<?> c) {
        for (Group<?> o : c.options()) {
          count += stepCount(o.nodes());
        }
      } else if (n instanceof ForEach<?, ?> fe) {
        count += stepCount(fe.nodes());
      }
    }
    return count;
  }

  private static boolean hasForEach(List<Node> nodes) {
    for (Node n : nodes) {
      if (n instanceof ForEach<?, ?> || (n instanceof Group<?> g && hasForEach(g.nodes()))) {
        return true;
      }
      if (n instanceof Parallel<?> || n instanceof Choice<?>) {
        for (Group<?> b : n instanceof Parallel<?> p ? p.branches() : ((Choice<?>) n).options()) {
          if (hasForEach(b.nodes())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private synchronized void indexed() {
    if (staticPaths != null) {
      return;
    }
    Map<String, String> paths = new LinkedHashMap<>();
    Map<String, List<?>> resolved = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    index(run.runbook.nodes(), "", problems, paths, resolved);
    if (!problems.isEmpty()) {
      throw new RunbookDefinitionException("Run " + run.runId + " of runbook '" + run.runbook.name() + "'", problems);
    }
    items = resolved;
    staticPaths = paths;
  }

  @SuppressWarnings("unchecked")
  private void index(List<Node> nodes, String path, List<String> problems, Map<String, String> paths,
      Map<String, List<?>> resolved) {
    for (Node n : nodes) {
      if (n instanceof dev.runbook4j.Succeed<?>) {
        continue;  // not a name of the runbook's: every succeed has it
      }
      String id = path.isEmpty() ? n.name() : path + "/" + n.name();
      paths.put(n.name(), id);
      if (n instanceof Group<?> g) {
        index(g.nodes(), id, problems, paths, resolved);
      } else if (n instanceof Parallel<?> p) {
        for (Group<?> b : p.branches()) {
          paths.put(b.name(), id + "/" + b.name());
          index(b.nodes(), id + "/" + b.name(), problems, paths, resolved);
        }
      } else if (n instanceof Choice<?> c) {
        for (Group<?> o : c.options()) {  // option names are unique within their choose only: not indexed
          index(o.nodes(), id + "/" + o.name(), problems, paths, resolved);
        }
      } else if (n instanceof ForEach<?, ?> f) {
        List<?> list = ((ForEach<Object, ?>) f).items().items(run.params);
        list = list == null ? List.of() : List.copyOf(list);
        Set<String> keys = new HashSet<>();
        for (Object item : list) {
          if (!keys.add(String.valueOf(item))) {
            problems.add("forEach '" + id + "' has the item '" + item + "' twice; items must be distinct");
          }
        }
        resolved.put(n.name(), list);
        index(f.nodes(), id + "[*]", problems, paths, resolved);
      }
    }
  }

  /** The static path of the node named {@code name}, or null. */
  String staticPath(String name) {
    indexed();
    return staticPaths.get(name);
  }

  /** The items of the forEach named {@code name}. */
  List<?> items(String name) {
    indexed();
    return items.get(name);
  }

  /** The step whose runtime id is {@code id} (forEach items expanded), with its frame; null if none. */
  Located step(String id) {
    Map<String, Located> all = steps;
    if (all == null) {
      synchronized (this) {
        if (steps == null) {
          Map<String, Located> found = new LinkedHashMap<>();
          locate(run.runbook.nodes(), Frame.root(run.runbook.watches()), found);
          steps = found;
        }
        all = steps;
      }
    }
    return all.get(id);
  }

  @SuppressWarnings("unchecked")
  private void locate(List<Node> nodes, Frame frame, Map<String, Located> out) {
    for (Node n : nodes) {
      String id = frame.child(n.name());
      if (n instanceof Step<?, ?> s) {
        out.put(id, new Located(id, (Step<Object, Object>) s, frame));
      } else if (n instanceof Group<?> g) {
        locate(g.nodes(), frame.group(id, (List<Watch<Object>>) (List<?>) g.watches()), out);
      } else if (n instanceof Parallel<?> || n instanceof Choice<?>) {
        for (Group<?> b : n instanceof Parallel<?> p ? p.branches() : ((Choice<?>) n).options()) {
          locate(b.nodes(), frame.group(id + "/" + b.name(), (List<Watch<Object>>) (List<?>) b.watches()), out);
        }
      } else if (n instanceof ForEach<?, ?> f) {
        for (Object item : items(f.name())) {
          String rid = id + "[" + item + "]";
          locate(f.nodes(), frame.item(staticPath(f.name()), rid, item, null), out);
        }
      }
    }
  }

  /** The runtime id of the step named {@code name} as seen from {@code frame}. */
  String resolveStep(String name, Frame frame) {
    String path = staticPath(name);
    if (path == null) {
      throw new IllegalArgumentException("Runbook '" + run.runbook.name() + "' has no step '" + name + "'; steps: "
          + run.plan.stepIds());
    }
    String id = frame.resolve(path);
    if (id == null) {
      throw new IllegalStateException("Step '" + name + "' runs once per item of a forEach; read its output inside"
          + " that forEach");
    }
    return id;
  }

  /**
   * The output of step {@code id} in its step's type (normalised when recorded live, converted from
   * its JSON when read back from the journal: the same value either way); null when it has none.
   */
  RunLedger.Output output(String id) {
    synchronized (run) {
      RunLedger.Output o = run.ledger().output(id);
      if (o == null || o.value() == null || o.typed()) {
        return o;  // the live path: recorded in its type already, so the index is not needed
      }
    }
    RunIndex.Located st = step(id);
    synchronized (run) {
      RunLedger.Output o = run.ledger().output(id);
      Class<?> type = st == null ? Object.class : st.step().outputType();
      Object typed = type == Object.class || type.isInstance(o.value()) ? o.value()
          : dev.runbook4j.spi.EventCodec.convert(o.value(), type);
      run.ledger().typed(id, typed);
      return new RunLedger.Output(typed, true);
    }
  }

  /** The output value of step {@code id}, or null (see {@link #output}). */
  Object outputOf(String id) {
    RunLedger.Output o = output(id);
    return o == null ? null : o.value();
  }
}
