package dev.runbook4j.internal.run;

import dev.runbook4j.Watch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** Where a node runs: its id prefix, the watches in scope, the forEach item, the halt flags. */
final class Frame {
  final String path;
  final List<Watch<Object>> watches;
  final Object item;
  /** forEach bindings, innermost first: static prefix "a[*]" to runtime prefix "a[x]". */
  final List<String[]> bindings;
  private final AtomicBoolean halt;
  private final Frame haltParent;

  private Frame(String path, List<Watch<Object>> watches, Object item, List<String[]> bindings, AtomicBoolean halt,
      Frame haltParent) {
    this.path = path;
    this.watches = watches;
    this.item = item;
    this.bindings = bindings;
    this.halt = halt;
    this.haltParent = haltParent;
  }

  static Frame root(List<Watch<Object>> watches) {
    return new Frame("", List.copyOf(watches), null, List.of(), null, null);
  }

  String child(String name) {
    return path.isEmpty() ? name : path + "/" + name;
  }

  Frame group(String id, List<Watch<Object>> more) {
    List<Watch<Object>> ws = watches;
    if (!more.isEmpty()) {
      ws = new ArrayList<>(watches);
      ws.addAll(more);
    }
    return new Frame(id, ws, item, bindings, halt, haltParent);
  }

  /** A frame whose halting (by a failed sibling) does not halt this one's parent. */
  Frame haltScope(String id, AtomicBoolean flag) {
    return new Frame(id, watches, item, bindings, flag, this);
  }

  Frame item(String forEachStaticPath, String runtimeId, Object item) {
    List<String[]> b = new ArrayList<>();
    b.add(new String[] {forEachStaticPath + "[*]", runtimeId});
    b.addAll(bindings);
    // an item is a scope of its own: its failure halts no sibling (the forEach counts it), while a halt
    // around the forEach still reaches it
    return new Frame(runtimeId, watches, item, b, null, this);
  }

  /** Halts the nearest parallel scope around this frame: its other branches start no new node. */
  void haltSiblings() {
    if (halt != null) {
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
