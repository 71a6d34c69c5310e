package dev.runbook4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apiguardian.api.API;

/**
 * An immutable runbook definition: a name, typed parameters, a tree of {@link Node nodes}, the
 * watches over it and the locks it takes.
 *
 * <pre>{@code
 * record Params(String version) {}
 * static final StepKey<String> PUBLISH = StepKey.of("publish", String.class);
 *
 * Runbook<Params> deploy = Runbook.builder("deploy-checkout", Params.class)
 *     .description("Canary release of the checkout service")
 *     .lock(p -> "checkout/prod")
 *     .watch("5xx", Duration.ofSeconds(30), ctx -> alarms.ok("checkout-5xx") ? Health.healthy() : Health.breached("5xx alarm"))
 *     .step(PUBLISH, s -> s.action(ctx -> lambda.publish(ctx.params().version()))
 *                          .compensate((ctx, version) -> lambda.delete(version)))
 *     .gate("approval", g -> g.approval(a -> a.approvers("alice", "bob", "carol").minApprovals(2)))
 *     .step("shift", s -> s.action(ctx -> alias.point(ctx.output(PUBLISH)))
 *                          .compensate((ctx, out) -> alias.pointBack()))
 *     .bake("soak", Duration.ofMinutes(10))
 *     .build();
 * }</pre>
 *
 * <p>{@link Builder#build()} checks the whole definition and reports every problem in one
 * {@link RunbookDefinitionException}. A built runbook is never mutated and is safe to share.
 * This class is threadsafe.
 *
 * @param <P> the parameter type, usually a record; {@code Void} for none
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Runbook<P> {
  private final String name;
  private final String description;
  private final Class<P> parameterType;
  private final List<Node> nodes;
  private final List<Watch<P>> watches;
  private final List<Function<P, String>> locks;
  private final List<LockPolicy> lockPolicies;
  private final Function<P, List<String>> validator;
  private final java.util.Set<String> compatiblePlans;
  private final String code;
  private final List<Hook<P>> hooks;
  private final Gate<P> rollbackGate;
  private final java.time.Duration timeout;
  private final java.util.Set<String> channels;
  /** The plan tree when it does not depend on parameters; derived, so caching it keeps the value immutable. */
  volatile Plan.Structure planStructure;
  /** The last plan made, with its parameters: one immutable pair, so readers never mix two plans. */
  volatile LastPlan lastPlan;

  record LastPlan(Object params, Plan plan) {}

  private Runbook(Builder<P> b) {
    this.name = b.name;
    this.description = b.description;
    this.parameterType = b.parameterType;
    this.nodes = List.copyOf(b.nodes);
    this.watches = List.copyOf(b.watches);
    this.locks = List.copyOf(b.locks);
    this.lockPolicies = List.copyOf(b.lockPolicies);
    this.validator = b.validator;
    this.compatiblePlans = java.util.Set.copyOf(b.compatiblePlans);
    this.code = b.code;
    this.hooks = List.copyOf(b.hooks);
    this.rollbackGate = b.rollbackGate;
    this.timeout = b.timeout;
    java.util.Set<String> ch = new java.util.TreeSet<>();
    hooks.forEach(h -> ch.add(h.channel()));
    b.definition.channels.forEach(ch::add);
    this.channels = java.util.Collections.unmodifiableSet(ch);
  }

  /** Starts a runbook whose parameters are a {@code parameterType} (a record, usually). */
  public static <P> Builder<P> builder(String name, Class<P> parameterType) {
    return new Builder<>(name, Objects.requireNonNull(parameterType, "parameterType"));
  }

  /** Starts a runbook without parameters. */
  public static Builder<Void> builder(String name) {
    return new Builder<>(name, Void.class);
  }

  public String name() {
    return name;
  }

  public String description() {
    return description;
  }

  public Class<P> parameterType() {
    return parameterType;
  }

  /** The top-level nodes, in order. */
  /**
   * A message a run sends at one of its moments ({@link Builder#on}).
   *
   * @param hook the moment
   * @param channel the notifier it goes to, by the engine's name for it
   * @param message its text
   * @param <P> the runbook's parameter type
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public record Hook<P>(RunHook hook, String channel, MessageFunction<P> message) {
    public Hook {
      Objects.requireNonNull(hook, "hook");
      Objects.requireNonNull(channel, "channel");
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * The messages the runbook's runs send at their moments, in the order declared.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public List<Hook<P>> hooks() {
    return hooks;
  }

  /**
   * Every channel the runbook sends to (its hooks' and its {@code notify} steps'): an engine refuses
   * a run of it unless it has a notifier for each.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public java.util.Set<String> channels() {
    return channels;
  }

  /**
   * The gate the rollback waits at before it undoes anything ({@link Builder#beforeRollback}), if any.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public java.util.Optional<Gate<P>> rollbackGate() {
    return java.util.Optional.ofNullable(rollbackGate);
  }

  /**
   * How long a run may take from its start to the end of its last node ({@link Builder#timeout}), if
   * bounded.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public java.util.Optional<java.time.Duration> timeout() {
    return java.util.Optional.ofNullable(timeout);
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** The watches over the whole runbook. */
  public List<Watch<P>> watches() {
    return watches;
  }

  /** The lock keys this run takes, resolved from its parameters. */
  public List<String> lockKeys(P params) {
    List<String> keys = new ArrayList<>();
    for (Function<P, String> f : locks) {
      keys.add(f.apply(params));
    }
    return keys;
  }

  /** The queue policy of each lock, in the order of {@link #lockKeys}. */
  public List<LockPolicy> lockPolicies() {
    return lockPolicies;
  }

  /**
   * Checks {@code params} before anything runs.
   *
   * @throws RunbookDefinitionException listing every problem
   */
  public void validate(P params) {
    List<String> problems = new ArrayList<>();
    if (params == null && parameterType != Void.class) {
      problems.add("parameters are missing; pass a " + parameterType.getSimpleName());
    } else if (params != null && !parameterType.isInstance(params)) {
      problems.add("parameters are a " + params.getClass().getSimpleName() + ", not a " + parameterType.getSimpleName());
    } else if (validator != null) {
      problems.addAll(validator.apply(params));
    }
    if (!problems.isEmpty()) {
      throw new RunbookDefinitionException("Parameters of runbook '" + name + "'", problems);
    }
  }

  /**
   * The plan hashes of earlier versions of this runbook whose runs it may resume: the author
   * declares that the change keeps the meaning of the steps already done.
   */
  public java.util.Set<String> compatiblePlans() {
    return compatiblePlans;
  }

  /**
   * What identifies the code the runbook's actions run — a script's content hash, a build's id — or
   * "" when not given; the plan hash covers it, so an approval is bound to the code too.
   */
  public String code() {
    return code;
  }

  @Override
  public String toString() {
    return "Runbook[" + name + ", " + nodes.size() + " nodes]";
  }

  /** Builds a {@link Runbook}. Not threadsafe. */
  public static final class Builder<P> extends Nodes<P, Builder<P>> {
    private final String name;
    private final Class<P> parameterType;
    private String description = "";
    private final List<Function<P, String>> locks = new ArrayList<>();
    private final List<LockPolicy> lockPolicies = new ArrayList<>();
    private Function<P, List<String>> validator;
    private final java.util.Set<String> compatiblePlans = new java.util.LinkedHashSet<>();
    private String code = "";
    private final List<Hook<P>> hooks = new ArrayList<>();
    private Gate<P> rollbackGate;
    private java.time.Duration timeout;

    private Builder(String name, Class<P> parameterType) {
      super(new Definition(), null, "");
      this.name = name;
      this.parameterType = parameterType;
    }

    /** A one-line description shown in the plan. */
    public Builder<P> description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /** Serialises runs on the target {@code key}, first come first served. */
    public Builder<P> lock(String key) {
      return lock(key, LockPolicy.FIFO);
    }

    /** Serialises runs on the target {@code key}; {@code policy} says what a run does when it is taken. */
    public Builder<P> lock(String key, LockPolicy policy) {
      Objects.requireNonNull(key, "key");
      return lock(p -> key, policy);
    }

    /** Serialises runs on a target named from the parameters, such as {@code "web/" + p.env()}. */
    public Builder<P> lock(Function<P, String> key) {
      return lock(key, LockPolicy.FIFO);
    }

    /** Serialises runs on a target named from the parameters, with a queue policy. */
    public Builder<P> lock(Function<P, String> key, LockPolicy policy) {
      locks.add(Objects.requireNonNull(key, "key"));
      lockPolicies.add(Objects.requireNonNull(policy, "policy"));
      return this;
    }

    /**
     * Declares that runs started with the plans {@code planHashes} (an earlier version of this
     * runbook) may be resumed with this one.
     */
    public Builder<P> compatibleWith(String... planHashes) {
      for (String h : planHashes) {
        compatiblePlans.add(Objects.requireNonNull(h, "planHash"));
      }
      return this;
    }

    /**
     * Names the code the actions run ({@code sha256:...} of a script, a build's id): the plan and
     * its hash cover it, so a run, and the approvals given to it, are bound to that code; a changed
     * one makes another plan. The DSL sets it to the script's content hash.
     */
    public Builder<P> code(String code) {
      this.code = Objects.requireNonNull(code, "code");
      return this;
    }

    /** Checks parameter values before a run starts; returns one sentence per problem. */
    /**
     * The retry and the attempt timeout every step of the runbook inherits unless it sets its own
     * ({@code d -> d.retry(RetrySpec.builder().maxAttempts(3).build()).timeout(Duration.ofMinutes(5))});
     * declared before the first step, so that what a step has is what is written above it.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P> defaults(Consumer<StepDefaults> spec) {
      StepDefaults d = new StepDefaults();
      Objects.requireNonNull(spec, "spec").accept(d);
      if (definition.stepsSeen > 0) {
        definition.problems.add("defaults(...) comes after " + definition.stepsSeen + (definition.stepsSeen == 1
            ? " step" : " steps") + "; declare it before the first step, which would not inherit it");
      }
      for (String p : d.problems()) {
        definition.problems.add("defaults: " + p);
      }
      definition.defaults = d;
      return this;
    }

    /**
     * Sends {@code message} to {@code channel} when a run reaches {@code hook}: once per run (per
     * gate, for {@link RunHook#AWAITING_APPROVAL}), journaled, its secrets masked. A message that does
     * not get through is journaled and never changes how the run ends.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P> on(RunHook hook, String channel, MessageFunction<P> message) {
      if (channel == null || channel.isBlank()) {
        definition.problems.add("on(" + hook + "): the channel is missing; name the engine's notifier");
      }
      hooks.add(new Hook<>(Objects.requireNonNull(hook, "hook"), channel == null ? "" : channel,
          Objects.requireNonNull(message, "message")));
      return this;
    }

    /**
     * A gate the rollback waits at before it undoes anything: "confirm the rollback", "inspect
     * before undoing". Most often an approval: the run shows {@link RunState#AWAITING_APPROVAL}
     * while it waits, then goes on {@link RunState#ROLLING_BACK}. When it passes the rollback goes
     * on; when a person rejects it, nothing is undone (the run ends {@link RunState#ABORTED}, locks
     * kept: the person chose to leave the system as it is); when it times out (or its check
     * rejects), its {@code onFailure} decides: {@link OnFailure#ROLLBACK} (the default) undoes
     * anyway, {@link OnFailure#ABORT} leaves it as it is. Its id is {@code rollback/NAME}.
     *
     * <pre>{@code
     * .beforeRollback("confirm-rollback", g -> g.approval(a -> a.approvers("oncall")
     *     .timeout(Duration.ofMinutes(30))))   // nobody answers in 30 min: roll back anyway
     * }</pre>
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P> beforeRollback(String name, Consumer<Gate.Builder<P>> spec) {
      String where = definition.claim(name, "rollback");
      Gate.Builder<P> b = new Gate.Builder<>(name);
      Objects.requireNonNull(spec, "spec").accept(b);
      Gate<P> g = b.build(where, definition.problems);
      if (g.when().isPresent()) {
        definition.problems.add("gate '" + where + "' before the rollback has a condition; a rollback gate always"
            + " waits");
      }
      if (g.onFailure() == OnFailure.CONTINUE) {
        definition.problems.add("gate '" + where + "' before the rollback says onFailure(CONTINUE); say ROLLBACK"
            + " (undo anyway) or ABORT (leave it as it is)");
      }
      if (rollbackGate != null) {
        definition.problems.add("the runbook has two gates before its rollback; keep one");
      }
      rollbackGate = g;
      return this;
    }

    /**
     * Bounds the whole run: past its start plus {@code timeout} it starts no new node, every wait,
     * retry delay, re-check and approval ends there, and the run rolls back
     * ({@link RunTimedOutException}). An action in flight finishes by its own timeout; the rollback
     * itself is not bounded. The deadline is the journaled start plus the timeout, so a restart does
     * not move it.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder<P> timeout(java.time.Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        definition.problems.add("the runbook's timeout must be positive, was " + Durations.format(timeout));
      }
      this.timeout = timeout;
      return this;
    }

    public Builder<P> validateParams(Function<P, List<String>> validator) {
      this.validator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /**
     * Checks the whole definition and returns the runbook.
     *
     * @throws RunbookDefinitionException listing every problem: duplicate or invalid names, steps
     *     without action or reversibility, empty groups, bad retry values, bad durations, ...
     */
    public Runbook<P> build() {
      List<String> problems = definition.problems;
      if (name == null || name.isBlank()) {
        problems.add(0, "the runbook has no name");
      }
      if (nodes.isEmpty()) {
        problems.add("the runbook has no nodes; add a step");
      }
      definition.checkBakes();
      if (!problems.isEmpty()) {
        throw new RunbookDefinitionException("Runbook '" + name + "'", problems);
      }
      return new Runbook<>(this);
    }
  }
}
