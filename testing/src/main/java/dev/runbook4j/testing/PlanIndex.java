package dev.runbook4j.testing;

import dev.runbook4j.Plan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The names a test may use in a fault, read from a runbook's plan: step, gate and wait ids (and
 * their last names), and watch names. A forEach body's ids carry {@code [*]} in the plan and the
 * item at run time ({@code wave[eu]/deploy}); a name matches both.
 */
final class PlanIndex {
  /** One node a fault can name. */
  record Entry(String id, String kind, Map<String, String> attributes) {
    String name() {
      int slash = id.lastIndexOf('/');
      return id.substring(slash + 1);
    }

    boolean compensated() {
      return "compensate".equals(attributes.get("undo"));
    }

    String undo() {
      return attributes.getOrDefault("undo", "");
    }

    String onFailure() {
      return attributes.getOrDefault("onFailure", "rollback");
    }

    boolean approval() {
      return attributes.containsKey("approval");
    }

    boolean hasTimeout() {
      return attributes.containsKey("timeout");
    }
  }

  private final String runbook;
  private final Map<String, Entry> byId = new LinkedHashMap<>();

  PlanIndex(Plan plan) {
    this.runbook = plan.runbook();
    for (Plan.Node w : plan.watches()) {
      add(w);
    }
    walk(plan.nodes());
    plan.rollbackGate().ifPresent(this::add);
  }

  private void walk(List<Plan.Node> nodes) {
    for (Plan.Node n : nodes) {
      add(n);
      walk(n.children());
    }
  }

  private void add(Plan.Node n) {
    byId.put(n.id(), new Entry(n.id(), n.kind(), n.attributes()));
  }

  String runbook() {
    return runbook;
  }

  List<Entry> all() {
    return List.copyOf(byId.values());
  }

  List<Entry> ofKind(String... kinds) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : byId.values()) {
      for (String k : kinds) {
        if (e.kind().equals(k)) {
          out.add(e);
        }
      }
    }
    return out;
  }

  /** The entry a run-time id belongs to ({@code wave[eu]/deploy} → {@code wave[*]/deploy}). */
  Entry at(String runtimeId) {
    Entry e = byId.get(runtimeId);
    return e != null ? e : byId.get(generic(runtimeId));
  }

  /**
   * The nodes of one of {@code kinds} that {@code name} names: the full id, or the last name when
   * it has no slash.
   *
   * @throws IllegalArgumentException naming the runbook, what it has and the nearest name
   */
  List<Entry> resolve(String name, String what, String... kinds) {
    List<Entry> candidates = ofKind(kinds);
    List<Entry> found = new ArrayList<>();
    for (Entry e : candidates) {
      if (matches(name, e.id()) || matches(generic(name), e.id())) {
        found.add(e);
      }
    }
    if (!found.isEmpty()) {
      return found;
    }
    // a name of another kind: say what it is
    for (Entry e : byId.values()) {
      if (matches(name, e.id())) {
        throw new IllegalArgumentException("The fault names " + what + " '" + name + "', but in runbook '" + runbook
            + "' '" + e.id() + "' is a " + e.kind() + ", not a " + String.join(" or ", kinds));
      }
    }
    List<String> names = candidates.stream().map(Entry::id).toList();
    String nearest = nearest(name, names);
    throw new IllegalArgumentException("The fault names " + what + " '" + name + "', which runbook '" + runbook
        + "' does not have" + (nearest == null ? "" : " (did you mean '" + nearest + "'?)") + "; its "
        + String.join(" and ", kinds) + (kinds.length == 1 ? "s: " : " nodes: ")
        + (names.isEmpty() ? "none" : String.join(", ", names)));
  }

  /** Whether a fault's {@code name} names the node with (plan or run-time) id {@code id}. */
  static boolean matches(String name, String id) {
    if (name.equals(id)) {
      return true;
    }
    String g = generic(id);
    if (name.equals(g)) {
      return true;
    }
    if (name.indexOf('/') < 0) {
      int slash = id.lastIndexOf('/');
      String last = id.substring(slash + 1);
      return name.equals(last) || name.equals(generic(last));
    }
    return false;
  }

  /** {@code a[x]/b[y]/c} → {@code a[*]/b[*]/c}. */
  static String generic(String id) {
    if (id.indexOf('[') < 0) {
      return id;
    }
    StringBuilder sb = new StringBuilder(id.length());
    int depth = 0;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == '[') {
        if (depth++ == 0) {
          sb.append("[*");
        }
      } else if (c == ']') {
        if (--depth == 0) {
          sb.append(']');
        }
      } else if (depth == 0) {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  static String nearest(String name, List<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    String n = name.toLowerCase(Locale.ROOT);
    for (String c : candidates) {
      for (String form : List.of(c, c.substring(c.lastIndexOf('/') + 1))) {
        int d = distance(n, form.toLowerCase(Locale.ROOT));
        if (d < bestDistance) {
          bestDistance = d;
          best = c;
        }
      }
    }
    return best != null && bestDistance <= Math.max(2, name.length() / 3) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
