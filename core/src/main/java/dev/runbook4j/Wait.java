package dev.runbook4j;

import java.time.Duration;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * A pause: a {@code sleep}, a {@code waitUntil} that polls a condition, or a {@code bake} during
 * which the watches in scope are polled. Deadlines are absolute instants, journaled when the wait
 * starts; no thread is held while waiting.
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Wait<P> implements Node {
  /** The three kinds of wait. */
  public enum Kind { SLEEP, WAIT_UNTIL, BAKE }

  private final String name;
  private final Kind kind;
  private final Duration duration;
  private final Duration every;
  private final WaitCondition<P> condition;
  private final String description;
  private final When<P> when;
  private final ValueFunction<P, Duration> durationValue;
  private final String durationText;
  private final ApprovalSpec skippableBy;

  /**
   * A wait; {@code duration} null when {@code durationValue} gives it, as {@code durationText} says;
   * {@code skippableBy} null when nobody may end it early.
   */
  Wait(String name, Kind kind, Duration duration, Duration every, WaitCondition<P> condition, String description,
      When<P> when, ValueFunction<P, Duration> durationValue, String durationText, ApprovalSpec skippableBy) {
    this.description = description;
    this.when = when;
    this.durationValue = durationValue;
    this.durationText = durationText;
    this.skippableBy = skippableBy;
    this.name = name;
    this.kind = kind;
    this.duration = duration;
    this.every = every;
    this.condition = condition;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return description;
  }

  public Kind kind() {
    return kind;
  }

  /** How long a sleep or bake lasts; a waitUntil's timeout; null when it is taken from the run ({@link #durationValue()}). */
  public Duration duration() {
    return duration;
  }

  /**
   * Where a sleep's or a bake's duration comes from when the runbook does not write it: resolved
   * when the run reaches the wait.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public Optional<ValueFunction<P, Duration>> durationValue() {
    return Optional.ofNullable(durationValue);
  }

  /**
   * What the plan says of {@link #durationValue()} ({@code "params.soak"}).
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public String durationText() {
    return durationText == null ? "a value" : durationText;
  }

  /**
   * Who may end the wait before its time ({@link Options#skippableBy}), if anyone.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public Optional<ApprovalSpec> skippableBy() {
    return Optional.ofNullable(skippableBy);
  }



  /** How often a waitUntil polls; {@code null} for sleep and bake. */
  public Duration every() {
    return every;
  }

  public Optional<WaitCondition<P>> condition() {
    return Optional.ofNullable(condition);
  }

  @Override
  public Optional<When<?>> when() {
    return Optional.ofNullable(when);
  }

  @Override
  public String toString() {
    return "Wait[" + name + ", " + kind + " " + (duration != null ? Durations.format(duration) : durationText()) + "]";
  }

  /**
   * The options of a sleep, waitUntil or bake: passed to the {@code Consumer} of {@code sleep},
   * {@code waitUntil} and {@code bake}. Not threadsafe.
   *
   * @param <P> the runbook's parameter type
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public static final class Options<P> {
    String description = "";
    When<P> when;
    ApprovalSpec.Builder skippableBy;

    Options() {}

    /**
     * Lets the people {@code spec} names end the wait before its time ("the bake looks fine, go on"),
     * by the rules of an approval: named approvers or a role, the requester excluded unless allowed;
     * the decision is journaled ({@link RunEvent.WaitSkipped}) and the run goes on from the wait.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Options<P> skippableBy(java.util.function.Consumer<ApprovalSpec.Builder> spec) {
      this.skippableBy = new ApprovalSpec.Builder();
      spec.accept(skippableBy);
      return this;
    }

    /** A one-line description shown in the plan. */
    public Options<P> description(String description) {
      this.description = java.util.Objects.requireNonNull(description, "description");
      return this;
    }

    /** Waits only when {@code condition} holds, asked once when the run reaches the wait. */
    public Options<P> when(String description, Condition<P> condition) {
      this.when = new When<>(description, condition);
      return this;
    }

    /** {@link #when(String, Condition)} described in the plan as "a condition". */
    public Options<P> when(Condition<P> condition) {
      return when("a condition", condition);
    }
  }
}
