package dev.runbook4j;

import org.apiguardian.api.API;

/**
 * A run is driven by another live runner (another process on the shared journal): this engine
 * neither drives it nor takes it over until that runner's lease lapses or its process is gone.
 *
 * @since 0.2
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.2")
public class RunDrivenElsewhereException extends RunbookException {
  private static final long serialVersionUID = 1L;

  private final String runId;
  private final transient RunnerInfo driver;

  public RunDrivenElsewhereException(String runId, String runbook, RunnerInfo driver, String what) {
    super("Run " + runId + " (" + runbook + ") is driven by " + driver.describe() + "; " + what);
    this.runId = runId;
    this.driver = driver;
  }

  public String runId() {
    return runId;
  }

  /** The runner that drives the run. */
  public RunnerInfo driver() {
    return driver;
  }
}
