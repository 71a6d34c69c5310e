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
 * @param check how the chain was checked: with the journal's key, without one, or not at all
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record JournalVerification(String runId, long events, Optional<Long> firstBadSeq, Optional<String> problem,
    Check check) {
  /**
   * How a run's chain was checked.
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  public enum Check {
    /**
     * SHA-256, the journal has no key: edits, cuts and reorders are found, but not a forgery by
     * someone who can write the journal (they can recompute the chain).
     */
    UNKEYED,
    /** HMAC-SHA256 under the journal's key: a forged event or a re-pointed head row is found too. */
    KEYED,
    /** Not checked: the journal is keyed and was opened without its key. */
    NOT_CHECKED
  }

  /** Whether the run's chain is intact (false when it could not be checked). */
  public boolean ok() {
    return problem.isEmpty();
  }

  static JournalVerification ok(String runId, long events, boolean keyed) {
    return new JournalVerification(runId, events, Optional.empty(), Optional.empty(),
        keyed ? Check.KEYED : Check.UNKEYED);
  }

  static JournalVerification bad(String runId, long events, long seq, String problem, boolean keyed) {
    return new JournalVerification(runId, events, Optional.of(seq), Optional.of(problem),
        keyed ? Check.KEYED : Check.UNKEYED);
  }

  static JournalVerification cannot(String runId, String why) {
    return new JournalVerification(runId, 0, Optional.empty(), Optional.of(why), Check.NOT_CHECKED);
  }
}
