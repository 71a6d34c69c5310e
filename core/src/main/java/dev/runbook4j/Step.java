package dev.runbook4j;

import dev.runbook4j.spi.StepPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * An action with a typed output, and how to undo it: a compensation, or the declaration that it is
 * read-only or irreversible. Made by {@code step(...)} on any runbook, group, branch or forEach
 * builder.
 *
 * <p>How one attempt is wrapped, from outside in:
 * {@code Retry(engine, journaled) → CircuitBreaker → Timeout → user policies → action}.
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @param <T> the step's output type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Step<P, T> implements Node {
  private final String name;
  private final String description;
  private final Class<T> outputType;
  private final StepAction<P, T> action;
  private final Compensation<P, T> compensation;
  private final Reversibility reversibility;
  private final RetrySpec retry;
  private final RetrySpec compensationRetry;
  private final Duration timeout;
  private final OnFailure onFailure;
  private final List<StepPolicy> policies;
  private final String circuitBreaker;
  private final Reconcile<P, T> reconcile;
  private final When<P> when;
  private final Duration compensationTimeout;
  private final OnCompensationFailure onCompensationFailure;
  private final List<FailureRule> failureRules;
  private final boolean retryInherited;
  private final boolean timeoutInherited;
  private final String channel;

  private Step(Builder<P, T> b) {
    this.name = b.name;
    this.description = b.description;
    this.outputType = b.outputType;
    this.action = b.action;
    this.compensation = b.compensation;
    this.reversibility = b.reversibility;
    this.retry = b.retry;
    this.compensationRetry = b.compensationRetry;
    this.timeout = b.timeout;
    this.onFailure = b.onFailure;
    this.policies = List.copyOf(b.policies);
    this.circuitBreaker = b.circuitBreaker;
    this.reconcile = b.reconcile;
    this.when = b.when;
    this.compensationTimeout = b.compensationTimeout;
    this.onCompensationFailure = b.onCompensationFailure;
    this.failureRules = List.copyOf(b.failureRules);
    this.retryInherited = b.retryInherited;
    this.timeoutInherited = b.timeoutInherited;
    this.channel = b.channel;
  }

  /**
   * The channel a {@code notify} step sends to; empty for other steps.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public Optional<String> channel() {
    return Optional.ofNullable(channel);
  }

  /**
   * Whether the step's retry is the runbook's default ({@link Runbook.Builder#defaults}), and not its own.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public boolean retryInherited() {
    return retryInherited;
  }

  /**
   * Whether the step's timeout is the runbook's default, and not its own.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public boolean timeoutInherited() {
    return timeoutInherited;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return description;
  }

  public Class<T> outputType() {
    return outputType;
  }

  public StepAction<P, T> action() {
    return action;
  }

  /** The compensation; present exactly when {@link #reversibility()} is {@code COMPENSATED}. */
  public Optional<Compensation<P, T>> compensation() {
    return Optional.ofNullable(compensation);
  }

  public Reversibility reversibility() {
    return reversibility;
  }

  public RetrySpec retry() {
    return retry;
  }

  public RetrySpec compensationRetry() {
    return compensationRetry;
  }

  /** The timeout of one attempt (and of one compensation attempt), if any. */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  public OnFailure onFailure() {
    return onFailure;
  }

  /**
   * The rules that route a failure by its error, asked in order before {@link #onFailure()}.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public List<FailureRule> failureRules() {
    return failureRules;
  }

  /**
   * The first of {@link #failureRules()} that matches {@code error}, or null: {@link #onFailure()}
   * decides.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public FailureRule ruleFor(Throwable error) {
    for (FailureRule r : failureRules) {
      if (r.matches(error)) {
        return r;
      }
    }
    return null;
  }

  /**
   * The timeout of one compensation attempt: its own, else the step's {@link #timeout()}.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public Optional<Duration> compensationTimeout() {
    return compensationTimeout != null ? Optional.of(compensationTimeout) : timeout();
  }

  /**
   * What the rollback does when this step's compensation fails for good.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public OnCompensationFailure onCompensationFailure() {
    return onCompensationFailure;
  }

  /** The user's own in-attempt policies, outermost first. */
  public List<StepPolicy> policies() {
    return policies;
  }

  /** The name of the engine-wide circuit breaker this step goes through, if any. */
  public Optional<String> circuitBreaker() {
    return Optional.ofNullable(circuitBreaker);
  }

  /** The hook that checks, on resume, whether an attempt with a lost outcome took effect. */
  public Optional<Reconcile<P, T>> reconcile() {
    return Optional.ofNullable(reconcile);
  }

  @Override
  public Optional<When<?>> when() {
    return Optional.ofNullable(when);
  }

  @Override
  public String toString() {
    return "Step[" + name + ", " + reversibility + "]";
  }

  /**
   * Configures a {@link Step}; passed to the {@code Consumer} of {@code step(...)}. Not threadsafe.
   *
   * @param <P> the runbook's parameter type
   * @param <T> the step's output type
   */
  public static final class Builder<P, T> implements NodeOptions<Builder<P, T>> {
    private final String name;
    private final Class<T> outputType;
    private final List<String> problems = new ArrayList<>();
    private String description = "";
    private StepAction<P, T> action;
    private Compensation<P, T> compensation;
    private Reversibility reversibility;
    private RetrySpec retry = RetrySpec.none();
    private RetrySpec compensationRetry = RetrySpec.compensationDefault();
    private Duration timeout;
    private OnFailure onFailure = OnFailure.ROLLBACK;
    private final List<StepPolicy> policies = new ArrayList<>();
    private String circuitBreaker;
    private Reconcile<P, T> reconcile;
    private When<P> when;
    private Duration compensationTimeout;
    private OnCompensationFailure onCompensationFailure = OnCompensationFailure.CONTINUE;
    private final List<FailureRule> failureRules = new ArrayList<>();
    private boolean retryInherited;
    private boolean timeoutInherited;
    private String channel;

    Builder(String name, Class<T> outputType) {
      this.name = name;
      this.outputType = outputType;
    }

    /** Marks a notify step: it sends to {@code channel}. */
    Builder<P, T> notifies(String channel) {
      this.channel = channel;
      return this;
    }

    /** Starts from the runbook's defaults: what the step sets itself replaces them. */
    void inherit(StepDefaults d) {
      d.retry().ifPresent(r -> {
        retry = r;
        retryInherited = true;
      });
      d.timeout().ifPresent(t -> {
        timeout = t;
        timeoutInherited = true;
      });
    }

    /** What the step does; its return value is the step's output. Required. */
    public Builder<P, T> action(StepAction<P, T> action) {
      this.action = Objects.requireNonNull(action, "action");
      return this;
    }

    /**
     * What the step does, when it returns nothing: {@code s.perform(ctx -> db.migrate())} for a
     * {@code void} method (with {@code action} such a lambda does not compile). The step's output is
     * {@code null}. Either this or {@link #action} is required.
     */
    public Builder<P, T> perform(StepProcedure<P> procedure) {
      Objects.requireNonNull(procedure, "procedure");
      this.action = ctx -> {
        procedure.execute(ctx);
        return null;
      };
      return this;
    }

    /** How to undo the step, retried by {@link RetrySpec#compensationDefault()}. */
    public Builder<P, T> compensate(Compensation<P, T> compensation) {
      return declare(Reversibility.COMPENSATED, Objects.requireNonNull(compensation, "compensation"));
    }

    /** How to undo the step, retried by {@code retry}. */
    public Builder<P, T> compensate(Compensation<P, T> compensation, RetrySpec retry) {
      this.compensationRetry = Objects.requireNonNull(retry, "retry");
      return compensate(compensation);
    }

    /**
     * The longest one compensation attempt may take (default: the step's {@link #timeout}); an
     * attempt that takes longer is interrupted and counts as failed.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P, T> compensationTimeout(Duration timeout) {
      this.compensationTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * What the rollback does when the compensation fails for good (default
     * {@link OnCompensationFailure#CONTINUE}: undo the others).
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P, T> onCompensationFailure(OnCompensationFailure onFailure) {
      this.onCompensationFailure = Objects.requireNonNull(onFailure, "onFailure");
      return this;
    }

    /** Declares that the step has no side effect: nothing to undo. */
    public Builder<P, T> readOnly() {
      return declare(Reversibility.READ_ONLY, null);
    }

    /** Declares that the step cannot be undone: a point of no return, flagged in the plan. */
    public Builder<P, T> irreversible() {
      return declare(Reversibility.IRREVERSIBLE, null);
    }

    private Builder<P, T> declare(Reversibility r, Compensation<P, T> c) {
      if (reversibility != null && reversibility != r) {
        problems.add("declares both " + word(reversibility) + " and " + word(r) + "; keep one");
      }
      this.reversibility = r;
      this.compensation = c;
      return this;
    }

    private static String word(Reversibility r) {
      return r == Reversibility.COMPENSATED ? "compensate(...)" : r == Reversibility.READ_ONLY ? "readOnly()" : "irreversible()";
    }

    /** How failed attempts are retried (default: no retry). */
    public Builder<P, T> retry(RetrySpec retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      this.retryInherited = false;
      return this;
    }

    @Override
    public Builder<P, T> timeout(Duration timeout) {
      this.timeout = timeout;
      this.timeoutInherited = false;
      return this;
    }

    @Override
    public Builder<P, T> onFailure(OnFailure onFailure) {
      this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
      return this;
    }

    /**
     * When the step fails for good with an error of {@code type} (or caused by one), the run does
     * {@code route} instead of {@link #onFailure(OnFailure)}: roll back, continue or abort. Rules are
     * asked in the order given.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P, T> onFailure(Class<? extends Throwable> type, OnFailure route) {
      return onFailure(FailureRule.on(type, route));
    }

    /**
     * Routes a failure by {@code rule} (see {@link FailureRule}); rules are asked in the order given.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P, T> onFailure(FailureRule rule) {
      failureRules.add(Objects.requireNonNull(rule, "rule"));
      return this;
    }

    @Override
    public Builder<P, T> description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /** Wraps each attempt in the user's own policy (a Resilience4j or Failsafe one, through its adapter). */
    public Builder<P, T> withPolicy(StepPolicy policy) {
      policies.add(Objects.requireNonNull(policy, "policy"));
      return this;
    }

    /**
     * Sends each attempt through the engine-wide circuit breaker {@code name} (for example one per
     * AWS service and account), shared by every step that names it.
     */
    public Builder<P, T> circuitBreaker(String name) {
      this.circuitBreaker = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * On resume, asks the target whether an attempt whose outcome was lost took effect, before the
     * step is attempted again with the same idempotency key.
     */
    public Builder<P, T> reconcile(Reconcile<P, T> reconcile) {
      this.reconcile = Objects.requireNonNull(reconcile, "reconcile");
      return this;
    }

    /**
     * Runs the step only when {@code condition} holds, asked once when the run reaches it; otherwise
     * it is passed over (journaled as skipped; a skipped step is not compensated).
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P, T> when(String description, Condition<P> condition) {
      this.when = new When<>(description, condition);
      return this;
    }

    /**
     * {@link #when(String, Condition)} described in the plan as "a condition".
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P, T> when(Condition<P> condition) {
      return when("a condition", condition);
    }

    Step<P, T> build(String where, List<String> allProblems) {
      String subject = "step '" + where + "'";
      for (String p : problems) {
        allProblems.add(subject + " " + p);
      }
      if (action == null) {
        allProblems.add(subject + " has no action; add action(ctx -> ...) (or perform(ctx -> ...) for a call that returns nothing)");
      }
      if (reversibility == null) {
        allProblems.add(subject + " must declare compensate(...), readOnly() or irreversible()");
      }
      for (String p : retry.problems()) {
        allProblems.add(subject + ": " + p);
      }
      for (String p : compensationRetry.problems()) {
        allProblems.add(subject + ": compensation " + p);
      }
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        allProblems.add(subject + ": timeout must be positive, was " + Durations.format(timeout));
      }
      if (compensationTimeout != null && (compensationTimeout.isNegative() || compensationTimeout.isZero())) {
        allProblems.add(subject + ": compensation timeout must be positive, was " + Durations.format(compensationTimeout));
      }
      if (reversibility != null && reversibility != Reversibility.COMPENSATED
          && (compensationTimeout != null || onCompensationFailure != OnCompensationFailure.CONTINUE)) {
        allProblems.add(subject + " sets how its compensation is run but has none (it is " + word(reversibility)
            + "); remove compensationTimeout/onCompensationFailure or add compensate(...)");
      }
      return new Step<>(this);
    }
  }
}
