package dev.runbook4j;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.apiguardian.api.API;

/**
 * A decision that must pass before the run goes on: a {@link GateCheck} (deployment window, alarm
 * state, metric, any predicate) re-checked every {@link #every()} until it passes, rejects or the
 * gate times out; or an {@link ApprovalSpec} that parks the run until enough people approve.
 * A rejection rolls the run back unless {@code onFailure} says otherwise.
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Gate<P> implements Node {
  private final String name;
  private final String description;
  private final GateCheck<P> check;
  private final ApprovalSpec approval;
  private final Duration every;
  private final Duration timeout;
  private final OnFailure onFailure;
  private final When<P> when;

  private Gate(Builder<P> b, ApprovalSpec approval) {
    this.name = b.name;
    this.description = b.description;
    this.check = b.check;
    this.approval = approval;
    this.every = b.every;
    this.timeout = b.timeout;
    this.onFailure = b.onFailure;
    this.when = b.when;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return description;
  }

  public Optional<GateCheck<P>> check() {
    return Optional.ofNullable(check);
  }

  public Optional<ApprovalSpec> approval() {
    return Optional.ofNullable(approval);
  }

  /** How often a check that answered "recheck" is asked again. */
  public Duration every() {
    return every;
  }

  /** How long the gate may take in all: for an approval, its own timeout. */
  public Optional<Duration> timeout() {
    return approval != null ? approval.timeout() : Optional.ofNullable(timeout);
  }

  public OnFailure onFailure() {
    return onFailure;
  }

  @Override
  public Optional<When<?>> when() {
    return Optional.ofNullable(when);
  }

  @Override
  public String toString() {
    return "Gate[" + name + (approval != null ? ", approval " + approval : "") + "]";
  }

  /** Configures a {@link Gate}. Not threadsafe. */
  public static final class Builder<P> implements NodeOptions<Builder<P>> {
    private final String name;
    private String description = "";
    private GateCheck<P> check;
    private ApprovalSpec.Builder approval;
    private Duration every = Duration.ofMinutes(1);
    private Duration timeout;
    private OnFailure onFailure = OnFailure.ROLLBACK;
    private When<P> when;

    Builder(String name) {
      this.name = name;
    }

    /** Decides with {@code check}. */
    public Builder<P> check(GateCheck<P> check) {
      this.check = Objects.requireNonNull(check, "check");
      return this;
    }

    /** Decides with a predicate: true passes, false re-checks until the timeout. */
    public Builder<P> passWhen(WaitCondition<P> predicate) {
      Objects.requireNonNull(predicate, "predicate");
      return check(ctx -> predicate.test(ctx) ? GateDecision.pass() : GateDecision.recheck("not yet"));
    }

    /** Decides by people's approval. */
    public Builder<P> approval(Consumer<ApprovalSpec.Builder> spec) {
      this.approval = new ApprovalSpec.Builder();
      spec.accept(approval);
      return this;
    }

    /** How often to re-check (default 1 min). */
    public Builder<P> every(Duration every) {
      this.every = Objects.requireNonNull(every, "every");
      return this;
    }

    @Override
    public Builder<P> timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    @Override
    public Builder<P> onFailure(OnFailure onFailure) {
      this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
      return this;
    }

    @Override
    public Builder<P> description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /**
     * Runs the gate only when {@code condition} holds, asked once when the run reaches it; otherwise
     * it is passed over (journaled as skipped).
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P> when(String description, Condition<P> condition) {
      this.when = new When<>(description, condition);
      return this;
    }

    /**
     * {@link #when(String, Condition)} described in the plan as "a condition".
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P> when(Condition<P> condition) {
      return when("a condition", condition);
    }

    Gate<P> build(String where, java.util.List<String> problems) {
      String subject = "gate '" + where + "'";
      if (check == null && approval == null) {
        problems.add(subject + " has neither check(...) nor approval(...); add one");
      }
      if (check != null && approval != null) {
        problems.add(subject + " has both check(...) and approval(...); make them two gates");
      }
      if (every.isNegative() || every.isZero()) {
        problems.add(subject + ": every must be positive, was " + Durations.format(every));
      }
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        problems.add(subject + ": timeout must be positive, was " + Durations.format(timeout));
      }
      if (timeout != null && approval != null) {
        problems.add(subject + ": set the timeout inside approval { timeout ... }, not on the gate");
      }
      return new Gate<>(this, approval == null ? null : approval.build(subject, problems));
    }
  }
}
