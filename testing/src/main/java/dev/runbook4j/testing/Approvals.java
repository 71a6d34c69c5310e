package dev.runbook4j.testing;

import dev.runbook4j.ApprovalSpec;
import dev.runbook4j.ForEach;
import dev.runbook4j.Gate;
import dev.runbook4j.Group;
import dev.runbook4j.Node;
import dev.runbook4j.Parallel;
import dev.runbook4j.Runbook;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The approval gates of a runbook, by plan id ({@code wave[*]/ok} inside a forEach), and who may decide them. */
final class Approvals {
  private Approvals() {}

  static Map<String, ApprovalSpec> of(Runbook<?> runbook) {
    Map<String, ApprovalSpec> out = new LinkedHashMap<>();
    walk(runbook.nodes(), "", out);
    runbook.rollbackGate().flatMap(dev.runbook4j.Gate::approval)
        .ifPresent(a -> out.put("rollback/" + runbook.rollbackGate().get().name(), a));
    return out;
  }

  /** The spec of the approval gate with run-time id {@code gateId}, or null. */
  static ApprovalSpec spec(Runbook<?> runbook, String gateId) {
    for (Map.Entry<String, ApprovalSpec> e : of(runbook).entrySet()) {
      if (e.getKey().equals(PlanIndex.generic(gateId))) {
        return e.getValue();
      }
    }
    return null;
  }

  /** The gate's named approvers, sorted, without {@code requester}. */
  static List<String> named(ApprovalSpec spec, String requester) {
    List<String> named = new ArrayList<>(spec.approvers());
    Collections.sort(named);
    if (!spec.requesterMayApprove()) {
      named.remove(requester);
    }
    return named;
  }

  private static void walk(List<Node> nodes, String path, Map<String, ApprovalSpec> out) {
    for (Node n : nodes) {
      String id = path.isEmpty() ? n.name() : path + "/" + n.name();
      if (n instanceof Gate<?> g && g.approval().isPresent()) {
        out.put(id, g.approval().get());
      } else if (n instanceof Group<?> g) {
        walk(g.nodes(), id, out);
      } else if (n instanceof Parallel<?> || n instanceof dev.runbook4j.Choice<?>) {
        for (Group<?> b : n instanceof Parallel<?> p ? p.branches() : ((dev.runbook4j.Choice<?>) n).options()) {
          walk(b.nodes(), id + "/" + b.name(), out);
        }
      } else if (n instanceof ForEach<?, ?> f) {
        walk(f.nodes(), id + "[*]", out);
      }
    }
  }
}
