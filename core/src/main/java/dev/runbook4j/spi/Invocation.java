package dev.runbook4j.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.apiguardian.api.API;

/**
 * One call into user code, as an {@link Interceptor} sees it.
 *
 * <p>This class is immutable; {@link #proceed()} may be called more than once (each call makes the
 * call again).
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class Invocation {
  /** What kind of user code is called. */
  public enum Kind {
    /** A step's action; {@link #nodeId()} is the step id. */
    ACTION,
    /** A step's compensation; {@link #nodeId()} is the step id. */
    COMPENSATION,
    /** A gate's check; {@link #nodeId()} is the gate id, {@link #attempt()} the check's number. */
    GATE_CHECK,
    /**
     * A watch's check; {@link #nodeId()} is the watch's name and {@link #during()} the step it is
     * checked before, or the bake or waitUntil it is checked during.
     */
    WATCH_CHECK,
    /** A waitUntil's condition; {@link #nodeId()} is the wait id, {@link #attempt()} the poll's number. */
    WAIT_CONDITION,
    /**
     * A node's condition ({@code when}) or the condition of an option of a {@code choose};
     * {@link #nodeId()} is the node's id, or the option's.
     *
     * @since 0.9
     */
    CONDITION,
    /** A step's reconcile hook, after a restart lost an attempt's outcome; {@link #nodeId()} is the step id. */
    RECONCILE
  }

  private final Kind kind;
  private final String runId;
  private final String runbook;
  private final String nodeId;
  private final String during;
  private final int attempt;
  private final Instant at;
  private final Callable<Object> call;

  /**
   * @param kind what is called
   * @param runId the run
   * @param runbook the runbook's name
   * @param nodeId the step, gate or wait id, or the watch's name
   * @param during for a watch check, the node it is checked at; else {@code nodeId}
   * @param attempt the attempt (or check, or poll) number, from 1
   * @param at the engine's clock when the call is made
   * @param call the call itself
   */
  public Invocation(Kind kind, String runId, String runbook, String nodeId, String during, int attempt, Instant at,
      Callable<Object> call) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.runId = Objects.requireNonNull(runId, "runId");
    this.runbook = Objects.requireNonNull(runbook, "runbook");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.during = during == null ? nodeId : during;
    this.attempt = attempt;
    this.at = Objects.requireNonNull(at, "at");
    this.call = Objects.requireNonNull(call, "call");
  }

  public Kind kind() {
    return kind;
  }

  public String runId() {
    return runId;
  }

  public String runbook() {
    return runbook;
  }

  /** The step, gate or wait id; for {@link Kind#WATCH_CHECK}, the watch's name. */
  public String nodeId() {
    return nodeId;
  }

  /** For {@link Kind#WATCH_CHECK}, the step, bake or waitUntil it is checked at; else {@link #nodeId()}. */
  public String during() {
    return during;
  }

  /** The attempt of an action or compensation, the check of a gate, the poll of a wait; from 1. */
  public int attempt() {
    return attempt;
  }

  /** The engine's clock (virtual in tests) when the call is made. */
  public Instant at() {
    return at;
  }

  /** Makes the call. */
  public Object proceed() throws Exception {
    return call.call();
  }

  /** The same invocation, calling {@code next} instead: how interceptors chain. */
  public Invocation withCall(Callable<Object> next) {
    return new Invocation(kind, runId, runbook, nodeId, during, attempt, at, next);
  }

  @Override
  public String toString() {
    return kind + " " + nodeId + (during.equals(nodeId) ? "" : " during " + during) + " #" + attempt + " of run "
        + runId;
  }
}
