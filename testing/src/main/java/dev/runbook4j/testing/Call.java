package dev.runbook4j.testing;

import dev.runbook4j.spi.Invocation;
import java.time.Instant;
import org.apiguardian.api.API;

/**
 * One call the engine made into a runbook's code during a test, as the kit saw it: what was
 * called, when (virtual time), and how it ended. The kit records these beside the journal, so a
 * test can check what really ran, not only what was journaled.
 *
 * @param kind what was called
 * @param runId the run
 * @param nodeId the step, gate or wait id, or the watch's name
 * @param during for a watch check, the node it was checked at; else {@code nodeId}
 * @param attempt the attempt (or check, or poll) number, from 1
 * @param at the virtual instant of the call
 * @param called whether the runbook's own code was called (false when a fault replaced it)
 * @param failed whether the call ended with an exception (or, for a gate, a rejection; for a
 *     watch, a breach)
 * @param detail the error, the rejection or breach reason, or the injected fault; empty if none
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record Call(Invocation.Kind kind, String runId, String nodeId, String during, int attempt, Instant at,
    boolean called, boolean failed, String detail) {

  /** Whether a fault replaced or failed this call. */
  public boolean injected() {
    return detail.startsWith("injected");
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + nodeId + (during.equals(nodeId) ? "" : " @" + during)
        + " #" + attempt + (failed ? " failed: " + detail : " ok");
  }
}
