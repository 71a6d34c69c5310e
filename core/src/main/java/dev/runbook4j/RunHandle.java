package dev.runbook4j;

import java.util.concurrent.CompletableFuture;
import org.apiguardian.api.API;

/**
 * A started run.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public interface RunHandle {
  String runId();

  /** A snapshot of the run now. */
  RunStatus status();

  /**
   * Blocks until the run ends or parks at an approval, and returns where it stands. On a virtual
   * clock the waiting caller drives time forward.
   */
  RunResult await();

  /** Completes when the run ends (not when it parks). */
  CompletableFuture<RunResult> result();
}
