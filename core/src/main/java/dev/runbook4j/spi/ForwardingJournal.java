package dev.runbook4j.spi;

import dev.runbook4j.RunEvent;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * A journal that forwards every call to another: extend it to decorate a journal (inject faults,
 * count writes, trace) and override only what changes. Every optional part of {@link Journal} is
 * forwarded too, so a decorated JDBC journal keeps its leases, locks and parked runs.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public abstract class ForwardingJournal implements Journal {
  private final Journal delegate;

  protected ForwardingJournal(Journal delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The journal this one forwards to. */
  protected final Journal delegate() {
    return delegate;
  }

  @Override
  public void append(RunEvent event) {
    delegate.append(event);
  }

  @Override
  public boolean appendIf(String runId, long expected, List<RunEvent> events) {
    return delegate.appendIf(runId, expected, events);
  }

  @Override
  public List<RunEvent> read(String runId) {
    return delegate.read(runId);
  }

  @Override
  public Verified readVerified(String runId) {
    return delegate.readVerified(runId);
  }

  @Override
  public java.util.Map<String, Long> lengths(java.util.Collection<String> runIds) {
    return delegate.lengths(runIds);
  }

  @Override
  public List<String> runIds() {
    return delegate.runIds();
  }

  @Override
  public List<String> unfinishedRunIds() {
    return delegate.unfinishedRunIds();
  }

  @Override
  public Optional<String> problem(String runId) {
    return delegate.problem(runId);
  }

  @Override
  public void idle(String runId) {
    delegate.idle(runId);
  }

  @Override
  public Optional<ParkedRuns> parkedRuns() {
    return delegate.parkedRuns();
  }

  @Override
  public Optional<LockManager> lockManager() {
    return delegate.lockManager();
  }

  @Override
  public Optional<RunLeases> leases() {
    return delegate.leases();
  }
}
