package dev.runbook4j;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * A gate's answer: pass, reject, or ask again later.
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class GateDecision {
  /** The three kinds of answer. */
  public enum Verdict { PASS, REJECT, RECHECK }

  private static final GateDecision PASS = new GateDecision(Verdict.PASS, "passed", null);

  private final Verdict verdict;
  private final String reason;
  private final Duration after;

  private GateDecision(Verdict verdict, String reason, Duration after) {
    this.verdict = verdict;
    this.reason = reason;
    this.after = after;
  }

  public static GateDecision pass() {
    return PASS;
  }

  public static GateDecision reject(String reason) {
    return new GateDecision(Verdict.REJECT, Objects.requireNonNull(reason, "reason"), null);
  }

  /** Check again after the gate's own interval. */
  public static GateDecision recheck(String reason) {
    return new GateDecision(Verdict.RECHECK, Objects.requireNonNull(reason, "reason"), null);
  }

  /** Check again after {@code after} (capped by the gate's timeout). */
  public static GateDecision recheckAfter(Duration after, String reason) {
    return new GateDecision(Verdict.RECHECK, Objects.requireNonNull(reason, "reason"),
        Objects.requireNonNull(after, "after"));
  }

  public Verdict verdict() {
    return verdict;
  }

  public String reason() {
    return reason;
  }

  public Optional<Duration> after() {
    return Optional.ofNullable(after);
  }

  @Override
  public String toString() {
    return verdict + (verdict == Verdict.PASS ? "" : " (" + reason + ")");
  }
}
