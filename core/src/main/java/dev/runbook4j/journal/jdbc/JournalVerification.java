package dev.runbook4j.journal.jdbc;

import java.util.Optional;
import org.apiguardian.api.API;

/**
 * The result of checking one run's hash chain.
 *
 * @param runId the run
 * @param events how many events were read
 * @param firstBadSeq the sequence number of the first event that does not verify, if any
 * @param problem what is wrong with it, in one sentence, if anything
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record JournalVerification(String runId, long events, Optional<Long> firstBadSeq, Optional<String> problem) {
  /** Whether the run's chain is intact. */
  public boolean ok() {
    return problem.isEmpty();
  }

  static JournalVerification ok(String runId, long events) {
    return new JournalVerification(runId, events, Optional.empty(), Optional.empty());
  }

  static JournalVerification bad(String runId, long events, long seq, String problem) {
    return new JournalVerification(runId, events, Optional.of(seq), Optional.of(problem));
  }
}
