package dev.runbook4j.internal.engine;

import dev.runbook4j.Runbook;
import java.util.ArrayList;
import java.util.List;

/** The runbooks of the runs parked in the store, by slot, each with how many parked runs use it. */
final class Slots {
  private final List<Runbook<?>> books = new ArrayList<>();
  private final List<Integer> uses = new ArrayList<>();
  private final java.util.IdentityHashMap<Runbook<?>, Integer> index = new java.util.IdentityHashMap<>();
  private final java.util.ArrayDeque<Integer> free = new java.util.ArrayDeque<>();

  synchronized int acquire(Runbook<?> runbook, int runs) {
    Integer slot = index.get(runbook);
    if (slot == null) {
      slot = free.isEmpty() ? books.size() : free.pop();
      if (slot == books.size()) {
        books.add(runbook);
        uses.add(0);
      } else {
        books.set(slot, runbook);
      }
      index.put(runbook, slot);
    }
    uses.set(slot, uses.get(slot) + runs);
    return slot;
  }

  synchronized Runbook<?> get(int slot) {
    return books.get(slot);
  }

  synchronized void release(int slot) {
    int n = uses.get(slot) - 1;
    uses.set(slot, n);
    if (n == 0) {
      index.remove(books.get(slot));
      books.set(slot, null);
      free.push(slot);
    }
  }
}
