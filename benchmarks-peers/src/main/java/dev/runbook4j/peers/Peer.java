package dev.runbook4j.peers;

import java.util.List;

/** One engine running the benchmark's saga: {@code steps} steps, the one at {@code failAt} failing (0: none). */
interface Peer extends AutoCloseable {
  String name();

  /** Runs one saga to its end; returns the steps undone, in the order they were undone. */
  List<Integer> saga(int steps, int failAt) throws Exception;

  @Override
  void close() throws Exception;
}
