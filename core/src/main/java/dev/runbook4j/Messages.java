package dev.runbook4j;

import java.time.Duration;
import java.util.List;

/** Every user-facing message of the API's exceptions, in one place. */
final class Messages {
  private Messages() {}

  static String definitionProblems(String subject, List<String> problems) {
    StringBuilder sb = new StringBuilder(subject).append(" is invalid (")
        .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems").append("):");
    for (String p : problems) {
      sb.append("\n  - ").append(p);
    }
    return sb.toString();
  }

  static String stepFailed(String runbook, String runId, String stepId, int attempts, Throwable cause, int toCompensate) {
    return "Step '" + stepId + "' of run " + runId + " (" + runbook + ") failed after " + attempts
        + (attempts == 1 ? " attempt: " : " attempts: ") + describe(cause)
        + (toCompensate < 0 ? "; aborting without rollback (onFailure ABORT)"
            : "; rolling back " + toCompensate + (toCompensate == 1 ? " started step" : " started steps"));
  }

  static String stepTimedOut(String stepId, int attempt, Duration timeout) {
    if (timeout.isZero()) {  // the step has none: a TimeoutException came out of its call (an interceptor, a policy)
      return "Attempt " + attempt + " of step '" + stepId + "' timed out: a TimeoutException came out of its call (the"
          + " step has no timeout of its own)";
    }
    return "Attempt " + attempt + " of step '" + stepId + "' timed out after " + human(timeout)
        + "; raise the step's timeout or make the action faster";
  }

  static String gateRejected(String runbook, String runId, String gateId, String reason) {
    return "Gate '" + gateId + "' of run " + runId + " (" + runbook + ") rejected the run: " + reason;
  }

  static String watchBreached(String runbook, String runId, String watchId, String where, String reason) {
    return "Watch '" + watchId + "' of run " + runId + " (" + runbook + ") breached " + where + ": " + reason;
  }

  static String waitTimedOut(String runbook, String runId, String waitId, Duration timeout, int polls) {
    return "Wait '" + waitId + "' of run " + runId + " (" + runbook + ") timed out after " + human(timeout)
        + " and " + polls + (polls == 1 ? " check" : " checks") + "; the condition never held";
  }

  static String thresholdExceeded(String runbook, String runId, String id, int failed, int total, int maxErrors) {
    return "forEach '" + id + "' of run " + runId + " (" + runbook + "): " + failed + " of " + total
        + " items failed, more than maxErrors " + maxErrors + "; no new items were started";
  }

  static String cancelled(String runbook, String runId, String by, String reason) {
    return "Run " + runId + " (" + runbook + ") was cancelled by " + by
        + (reason == null || reason.isBlank() ? "" : ": " + reason);
  }

  static String compensationFailed(String runbook, String runId, List<String> failed, List<String> undone,
      List<String> notAttempted) {
    return "Rollback of run " + runId + " (" + runbook + ") is incomplete: compensation failed for "
        + quote(failed) + "; undone: " + (undone.isEmpty() ? "nothing" : quote(undone))
        + (notAttempted.isEmpty() ? "" : "; stopped there, not attempted: " + quote(notAttempted))
        + ". The run keeps its locks; fix the target by hand, then release them (RunbookEngine.releaseLock)";
  }

  static String describe(Throwable t) {
    if (t == null) {
      return "unknown error";
    }
    String m = t.getMessage();
    String type = t instanceof Scrubber.ScrubbedException x ? x.originalSimpleName() : t.getClass().getSimpleName();
    return type + (m == null || m.isBlank() ? "" : " (" + m + ")");
  }

  static String quote(List<String> ids) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ids.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append('\'').append(ids.get(i)).append('\'');
    }
    return sb.toString();
  }

  static String human(Duration d) {
    return Durations.format(d);
  }
}
