package dev.runbook4j.internal.run;

import dev.runbook4j.Watch;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** Where a node runs: its id prefix, the watches in scope, the forEach item, the halt flags. */
final class Frame {
  final String path;
  final List<Watch<Object>> watches;
  final Object item;
  /** forEach bindings, innermost first: static prefix "a[*]" to runtime prefix "a[x]". */
  final List<String[]> bindings;
  /** The flag of the nearest halt scope (a parallel's, or a forEach's for the frames of its items). */
  private final AtomicBoolean halt;
  /** For the frames of one forEach item: what its failure counts towards; null elsewhere. */
  private final Item itemScope;
  private final Frame haltParent;

  private Frame(String path, List<Watch<Object>> watches, Object item, List<String[]> bindings, AtomicBoolean halt,
      Item itemScope, Frame haltParent) {
    this.path = path;
    this.watches = watches;
    this.item = item;
    this.bindings = bindings;
    this.halt = halt;
    this.itemScope = itemScope;
    this.haltParent = haltParent;
  }

  static Frame root(List<Watch<Object>> watches) {
    return new Frame("", List.copyOf(watches), null, List.of(), null, null, null);
  }

  /**
   * The failures a forEach tolerates ({@code maxErrors} items failed): one more, or any other end
   * than a failure (a rejection, an abort), halts it at once — its items in flight start no new
   * node, as the branches of a parallel — while a tolerated failure halts nobody.
   */
  static final class Tolerance {
    final AtomicBoolean halt = new AtomicBoolean();
    private final int maxErrors;
    private final Set<String> failed = ConcurrentHashMap.newKeySet();

    Tolerance(int maxErrors) {
      this.maxErrors = maxErrors;
    }

    void ended(String item, Outcome.Kind kind) {
      if (kind != Outcome.Kind.FAILED || failed.add(item) && failed.size() > maxErrors) {
        halt.set(true);
      }
    }
  }

  /** One forEach item, as its failure counts towards its forEach's tolerance (once, however it is told). */
  private record Item(Tolerance tolerance, String id) {}

  String child(String name) {
    return path.isEmpty() ? name : path + "/" + name;
  }

  Frame group(String id, List<Watch<Object>> more) {
    List<Watch<Object>> ws = watches;
    if (!more.isEmpty()) {
      ws = new ArrayList<>(watches);
      ws.addAll(more);
    }
    return new Frame(id, ws, item, bindings, halt, itemScope, haltParent);
  }

  /** A frame whose halting (by a failed sibling) does not halt this one's parent. */
  Frame haltScope(String id, AtomicBoolean flag) {
    return new Frame(id, watches, item, bindings, flag, null, this);
  }

  /** The frame of one item of a forEach (null {@code tolerance}: one that nothing runs in, to locate steps). */
  Frame item(String forEachStaticPath, String runtimeId, Object item, Tolerance tolerance) {
    List<String[]> b = new ArrayList<>();
    b.add(new String[] {forEachStaticPath + "[*]", runtimeId});
    b.addAll(bindings);
    // an item's failure counts towards its forEach's tolerance, and halts its siblings only beyond it;
    // a halt around the forEach still reaches it
    return tolerance == null ? new Frame(runtimeId, watches, item, b, null, null, this)
        : new Frame(runtimeId, watches, item, b, tolerance.halt, new Item(tolerance, runtimeId), this);
  }

  /**
   * A node in this frame ended its sequence with {@code kind} (not OK): halts the nearest scope
   * around it — a parallel's other branches start no new node; a forEach's items do once it
   * tolerates no more.
   */
  void haltSiblings(Outcome.Kind kind) {
    if (itemScope != null) {
      itemScope.tolerance().ended(itemScope.id(), kind);
    } else if (halt != null) {
      halt.set(true);
    }
  }

  boolean halted() {
    for (Frame f = this; f != null; f = f.haltParent) {
      if (f.halt != null && f.halt.get()) {
        return true;
      }
    }
    return false;
  }

  /** The runtime id of a step whose static path is {@code staticPath}, or null if it is per-item elsewhere. */
  String resolve(String staticPath) {
    String p = staticPath;
    for (String[] b : bindings) {
      if (p.startsWith(b[0])) {
        p = b[1] + p.substring(b[0].length());
      }
    }
    return p.contains("[*]") ? null : p;
  }
}
