package dev.runbook4j;

import dev.runbook4j.spi.Journal;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A journal that "crashes the process" before its n-th append: that append and every later one
 * fail, as if the machine had died there. The events written before stay in the journal beneath,
 * where a new engine resumes from them.
 */
final class CrashingJournal implements Journal {
  private final Journal inner;
  private final int crashBefore;
  private final AtomicInteger appends = new AtomicInteger();

  CrashingJournal(Journal inner, int crashBefore) {
    this.inner = inner;
    this.crashBefore = crashBefore;
  }

  @Override
  public void append(RunEvent event) {
    if (appends.incrementAndGet() >= crashBefore) {
      throw new IllegalStateException("simulated crash before append " + crashBefore);
    }
    inner.append(event);
  }

  boolean crashed() {
    return appends.get() >= crashBefore;
  }

  @Override
  public List<RunEvent> read(String runId) {
    return inner.read(runId);
  }

  @Override
  public List<String> runIds() {
    return inner.runIds();
  }

  @Override
  public Optional<String> problem(String runId) {
    return inner.problem(runId);
  }
}
