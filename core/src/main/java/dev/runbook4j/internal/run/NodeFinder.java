package dev.runbook4j.internal.run;

import dev.runbook4j.Choice;
import dev.runbook4j.ForEach;
import dev.runbook4j.Group;
import dev.runbook4j.Node;
import dev.runbook4j.Parallel;
import java.util.List;

/** Finds a node of a runbook by its runtime id (forEach items in brackets). */
public final class NodeFinder {
  private NodeFinder() {}

  /** The node of type {@code type} whose runtime id is {@code id}, or null. */
  public static <N extends Node> N find(List<Node> nodes, String id, Class<N> type) {
    return find(nodes, "", id, type);
  }

  private static <N extends Node> N find(List<Node> nodes, String path, String id, Class<N> type) {
    for (Node n : nodes) {
      String p = path.isEmpty() ? n.name() : path + "/" + n.name();
      if (type.isInstance(n) && p.equals(id)) {
        return type.cast(n);
      }
      if (!id.startsWith(p)) {
        continue;
      }
      N found = null;
      if (n instanceof Group<?> g) {
        found = find(g.nodes(), p, id, type);
      } else if (n instanceof Parallel<?> || n instanceof Choice<?>) {
        for (Group<?> b : n instanceof Parallel<?> par ? par.branches() : ((Choice<?>) n).options()) {
          found = found != null ? found : find(b.nodes(), p + "/" + b.name(), id, type);
        }
      } else if (n instanceof ForEach<?, ?> f && id.startsWith(p + "[")) {
        // the item is whatever stands between "[" and a "]" that a child's path follows
        for (int k = id.indexOf("]", p.length()); k > 0 && found == null; k = id.indexOf("]", k + 1)) {
          found = find(f.nodes(), id.substring(0, k + 1), id, type);
        }
      }
      if (found != null) {
        return found;
      }
    }
    return null;
  }
}
