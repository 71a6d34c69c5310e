package dev.runbook4j;

import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * How to start a run: an optional caller-chosen run id (starting the same id twice returns the same
 * run) and who requests it (the OS user by default; the requester may not approve).
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class RunOptions {
  private static final RunOptions DEFAULTS = new RunOptions(null, System.getProperty("user.name", "unknown"));
  private final String runId;
  private final String requester;

  private RunOptions(String runId, String requester) {
    this.runId = runId;
    this.requester = requester;
  }

  public static RunOptions defaults() {
    return DEFAULTS;
  }

  /** Options with the caller's run id. */
  public RunOptions withRunId(String runId) {
    return new RunOptions(Objects.requireNonNull(runId, "runId"), requester);
  }

  /** Options with the requester. */
  public RunOptions withRequester(String requester) {
    return new RunOptions(runId, Objects.requireNonNull(requester, "requester"));
  }

  public Optional<String> runId() {
    return Optional.ofNullable(runId);
  }

  public String requester() {
    return requester;
  }
}
