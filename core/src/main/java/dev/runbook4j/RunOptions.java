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

  /** The longest run id accepted. */
  public static final int MAX_RUN_ID = 200;

  /**
   * Options with the caller's run id: any text of 1 to {@value #MAX_RUN_ID} characters without
   * control characters and without space at either end (so that it prints and quotes as it is).
   *
   * @throws IllegalArgumentException naming what is wrong with it, before anything is journaled
   */
  public RunOptions withRunId(String runId) {
    return new RunOptions(checkRunId(Objects.requireNonNull(runId, "runId")), requester);
  }

  /**
   * {@code runId} when it is a valid run id.
   *
   * @throws IllegalArgumentException naming what is wrong with it
   */
  public static String checkRunId(String runId) {
    if (runId.isEmpty() || runId.isBlank()) {
      throw new IllegalArgumentException("A run id must not be empty");
    }
    if (runId.length() > MAX_RUN_ID) {
      throw new IllegalArgumentException("A run id must be at most " + MAX_RUN_ID + " characters; this one has "
          + runId.length() + " (" + runId.substring(0, 24) + "...)");
    }
    for (int i = 0; i < runId.length(); i++) {
      char c = runId.charAt(i);
      if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
          || Character.getType(c) == Character.LINE_SEPARATOR || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
        throw new IllegalArgumentException("A run id must not hold control characters; this one has U+"
            + String.format("%04X", (int) c) + " at position " + (i + 1));
      }
    }
    if (Character.isWhitespace(runId.charAt(0)) || Character.isWhitespace(runId.charAt(runId.length() - 1))) {
      throw new IllegalArgumentException("A run id must not begin or end with a space: '" + runId + "'");
    }
    return runId;
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
