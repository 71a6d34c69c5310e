package dev.runbook4j.journal.jdbc;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * The process a runner lives in: its host, process id and start time. A runner on the same host
 * whose process is gone, or whose process id now belongs to a process started at another time
 * (the id was reused), is dead at once: its runs need not wait for its lease to lapse.
 *
 * @param host the host name
 * @param pid the process id
 * @param start when the process started, epoch millis; 0 when the platform does not say
 */
record RunnerProcess(String host, long pid, long start) {
  /** Process start times agree to within this (they are read from the OS, which rounds). */
  private static final long START_TOLERANCE_MILLIS = 1_000;

  private static final RunnerProcess CURRENT = of(ProcessHandle.current());

  static RunnerProcess current() {
    return CURRENT;
  }

  private static RunnerProcess of(ProcessHandle p) {
    return new RunnerProcess(hostName(), p.pid(), p.info().startInstant().map(Instant::toEpochMilli).orElse(0L));
  }

  static String hostName() {
    String env = System.getenv("HOSTNAME");
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException | RuntimeException e) {
      return env != null && !env.isBlank() ? env : "localhost";
    }
  }

  /**
   * Whether the runner whose row says it lives in process {@code pid} started at {@code start} on
   * this host is certainly gone. Never true for a process on another host, or one this JVM cannot see.
   */
  static boolean goneHere(String host, Long pid, Long start) {
    if (host == null || pid == null || !host.equals(CURRENT.host)) {
      return false;
    }
    if (pid == CURRENT.pid) {
      return start != null && start != 0 && CURRENT.start != 0
          && Math.abs(start - CURRENT.start) > START_TOLERANCE_MILLIS;
    }
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) {
      return true;
    }
    if (start == null || start == 0) {
      return false;
    }
    Optional<Instant> began = p.get().info().startInstant();
    return began.isPresent() && Math.abs(began.get().toEpochMilli() - start) > START_TOLERANCE_MILLIS;
  }
}
