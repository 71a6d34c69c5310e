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
  private final List<String> notAttempted;

  public CompensationFailedException(
      String runbook, String runId, List<String> failedSteps, List<String> undoneSteps, List<Throwable> causes) {
    this(runbook, runId, failedSteps, undoneSteps, List.of(), causes);
  }

  /**
   * A rollback that a failed compensation stopped ({@link OnCompensationFailure#STOP}) before it
   * attempted {@code notAttempted}.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public CompensationFailedException(String runbook, String runId, List<String> failedSteps,
      List<String> undoneSteps, List<String> notAttempted, List<Throwable> causes) {
    super(Messages.compensationFailed(runbook, runId, failedSteps, undoneSteps, notAttempted));
    this.failedSteps = List.copyOf(failedSteps);
    this.undoneSteps = List.copyOf(undoneSteps);
    this.notAttempted = List.copyOf(notAttempted);
    causes.forEach(this::addSuppressed);
  }

  /**
   * The started steps the rollback did not attempt to undo, because a failed compensation stopped
   * it; empty when it went on to the end.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public List<String> notAttempted() {
    return notAttempted;
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
