package dev.runbook4j;

import java.util.List;
import org.apiguardian.api.API;

/**
 * One or more compensations still failed after their retries. Each failure is a suppressed
 * exception of this one (never dropped); the run ends {@link RunState#ROLLBACK_FAILED}.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class CompensationFailedException extends RunbookException {
  private static final long serialVersionUID = 1L;
  private final List<String> failedSteps;
  private final List<String> undoneSteps;

  public CompensationFailedException(
      String runbook, String runId, List<String> failedSteps, List<String> undoneSteps, List<Throwable> causes) {
    super(Messages.compensationFailed(runbook, runId, failedSteps, undoneSteps));
    this.failedSteps = List.copyOf(failedSteps);
    this.undoneSteps = List.copyOf(undoneSteps);
    causes.forEach(this::addSuppressed);
  }

  /** The steps whose compensation failed, in the order the rollback tried them. */
  public List<String> failedSteps() {
    return failedSteps;
  }

  /** The steps that were undone, in the order they were undone. */
  public List<String> undoneSteps() {
    return undoneSteps;
  }
}
