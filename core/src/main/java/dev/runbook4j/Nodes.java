package dev.runbook4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * The verbs that add nodes, shared by the runbook builder and every block inside it (group,
 * parallel branch, forEach body). Problems are collected, not thrown: {@link Runbook.Builder#build()}
 * reports them all at once.
 *
 * <p>Not threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @param <B> the concrete builder, so that chains keep their type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public abstract class Nodes<P, B extends Nodes<P, B>> {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:@-]*");

  final Definition definition;
  final Nodes<P, ?> parent;
  final String path;
  final List<Node> nodes = new ArrayList<>();
  final List<Watch<P>> watches = new ArrayList<>();
  /** The parallel or forEach these nodes run inside ({@code "forEach 'hosts'"}), or null. */
  final String concurrentScope;
  /** Where a {@code succeed} was added to this block, or null. */
  private String succeedAt;

  Nodes(Definition definition, Nodes<P, ?> parent, String path) {
    this(definition, parent, path, null);
  }

  Nodes(Definition definition, Nodes<P, ?> parent, String path, String concurrentScope) {
    this.definition = definition;
    this.parent = parent;
    this.path = path;
    this.concurrentScope = concurrentScope;
  }

  static boolean validName(String name) {
    return NAME.matcher(name).matches();
  }

  /** Adds {@code node}, which nothing after a {@code succeed} in the same block may be. */
  private void add(Node node) {
    if (succeedAt != null) {
      definition.problems.add("'" + where(node.name()) + "' comes after succeed at '" + succeedAt
          + "', so it never runs; remove it or move the succeed");
    }
    nodes.add(node);
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  private String where(String name) {
    return path.isEmpty() ? name : path + "/" + name;
  }

  /** Adds a step whose output is untyped (read it with {@code ctx.output("name")}). */
  public B step(String name, Consumer<Step.Builder<P, Object>> spec) {
    return addStep(name, Object.class, spec);
  }

  /** Adds a step whose output later steps read type-safely with {@code ctx.output(key)}. */
  public <T> B step(StepKey<T> key, Consumer<Step.Builder<P, T>> spec) {
    return addStep(key.name(), key.type(), spec);
  }

  private <T> B addStep(String name, Class<T> type, Consumer<Step.Builder<P, T>> spec) {
    String where = definition.claim(name, path);
    Step.Builder<P, T> b = new Step.Builder<>(name, type);
    definition.stepsSeen++;
    if (definition.defaults != null) {
      b.inherit(definition.defaults);
    }
    Objects.requireNonNull(spec, "spec").accept(b);
    add(b.build(where, definition.problems));
    return self();
  }

  /**
   * Adds a step that sends {@code message} to {@code channel} (the engine's notifier of that name),
   * with the run's secrets masked; its output is the text sent. Nothing to undo; when the message
   * does not get through (after the engine's notification retries) the failure is recorded and the
   * run goes on, unless {@code options} say otherwise ({@code s -> s.onFailure(OnFailure.ROLLBACK)}).
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B notify(String name, String channel, MessageFunction<P> message, Consumer<Step.Builder<P, String>> options) {
    Objects.requireNonNull(message, "message");
    if (channel == null || channel.isBlank()) {
      definition.problems.add("notify '" + where(String.valueOf(name)) + "': the channel is missing");
    } else {
      definition.channels.add(channel);
    }
    String ch = channel == null ? "" : channel;
    return addStep(name, String.class, s -> {
      s.action(ctx -> ctx.send(ch, message.text(ctx))).readOnly().onFailure(OnFailure.CONTINUE).notifies(ch);
      Objects.requireNonNull(options, "options").accept(s);
    });
  }

  /**
   * {@link #notify(String, String, MessageFunction, Consumer)} with the defaults: a message that
   * does not get through does not stop the run.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B notify(String name, String channel, MessageFunction<P> message) {
    return notify(name, channel, message, s -> { });
  }

  /** Adds a gate. */
  public B gate(String name, Consumer<Gate.Builder<P>> spec) {
    String where = definition.claim(name, path);
    Gate.Builder<P> b = new Gate.Builder<>(name);
    Objects.requireNonNull(spec, "spec").accept(b);
    add(b.build(where, definition.problems));
    return self();
  }

  /** Adds a plain pause of {@code duration}; watches are checked before and after, not during. */
  public B sleep(String name, Duration duration) {
    return sleep(name, duration, w -> { });
  }

  /**
   * {@link #sleep(String, Duration)} with options: {@code w -> w.when(...)}.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B sleep(String name, Duration duration, Consumer<Wait.Options<P>> options) {
    String where = definition.claim(name, path);
    positive("sleep '" + where + "'", "duration", duration);
    Wait.Options<P> o = options(options);
    addWait(name, where, Wait.Kind.SLEEP, duration, null, null, o, null, null);
    return self();
  }

  /**
   * A sleep whose duration is taken from the run ({@code ctx -> ctx.params().pause()}), resolved when
   * the run reaches it; {@code text} is what the plan says of it.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B sleep(String name, String text, ValueFunction<P, Duration> duration, Consumer<Wait.Options<P>> options) {
    String where = definition.claim(name, path);
    Wait.Options<P> o = options(options);
    addWait(name, where, Wait.Kind.SLEEP, null, null, null, o, Objects.requireNonNull(duration, "duration"),
        Objects.requireNonNull(text, "text"));
    return self();
  }

  /**
   * A bake whose duration is taken from the run ({@code ctx -> ctx.params().soak()}), resolved when
   * the run reaches it; {@code text} is what the plan says of it.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B bake(String name, String text, ValueFunction<P, Duration> duration, Consumer<Wait.Options<P>> options) {
    String where = definition.claim(name, path);
    definition.bakes.put(where, this);
    Wait.Options<P> o = options(options);
    addWait(name, where, Wait.Kind.BAKE, null, null, null, o, Objects.requireNonNull(duration, "duration"),
        Objects.requireNonNull(text, "text"));
    return self();
  }

  /** Adds a wait with its options; its {@code skippableBy} is checked as an approval's rules are. */
  private void addWait(String name, String where, Wait.Kind kind, Duration duration, Duration every,
      WaitCondition<P> condition, Wait.Options<P> o, ValueFunction<P, Duration> value, String text) {
    ApprovalSpec skip = o.skippableBy == null ? null
        : o.skippableBy.build("wait '" + where + "' skippableBy", definition.problems);
    add(new Wait<>(name, kind, duration, every, condition, o.description, o.when, value, text, skip));
  }

  private static <P> Wait.Options<P> options(Consumer<Wait.Options<P>> options) {
    Wait.Options<P> o = new Wait.Options<>();
    Objects.requireNonNull(options, "options").accept(o);
    return o;
  }

  /** Polls {@code condition} every {@code every} until it holds; fails after {@code timeout}. */
  public B waitUntil(String name, Duration every, Duration timeout, WaitCondition<P> condition) {
    return waitUntil(name, every, timeout, condition, w -> { });
  }

  /**
   * {@link #waitUntil(String, Duration, Duration, WaitCondition)} with options: {@code w -> w.when(...)}.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B waitUntil(String name, Duration every, Duration timeout, WaitCondition<P> condition,
      Consumer<Wait.Options<P>> options) {
    String where = definition.claim(name, path);
    String subject = "waitUntil '" + where + "'";
    positive(subject, "every", every);
    positive(subject, "timeout", timeout);
    if (every != null && timeout != null && every.compareTo(timeout) > 0) {
      definition.problems.add(subject + ": every (" + Durations.format(every) + ") is longer than timeout ("
          + Durations.format(timeout) + ")");
    }
    Wait.Options<P> o = options(options);
    addWait(name, where, Wait.Kind.WAIT_UNTIL, timeout, every, Objects.requireNonNull(condition, "condition"), o, null,
        null);
    return self();
  }

  /** Waits {@code duration} while the watches in scope are polled; a breach fails the scope. */
  public B bake(String name, Duration duration) {
    return bake(name, duration, w -> { });
  }

  /**
   * {@link #bake(String, Duration)} with options: {@code w -> w.when(...)}.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B bake(String name, Duration duration, Consumer<Wait.Options<P>> options) {
    String where = definition.claim(name, path);
    positive("bake '" + where + "'", "duration", duration);
    definition.bakes.put(where, this);
    Wait.Options<P> o = options(options);
    addWait(name, where, Wait.Kind.BAKE, duration, null, null, o, null, null);
    return self();
  }

  /** Adds a named stage. */
  public B group(String name, Consumer<Block<P>> spec) {
    String where = definition.claim(name, path);
    Block<P> b = new Block<>(definition, this, where, concurrentScope);
    Objects.requireNonNull(spec, "spec").accept(b);
    if (b.nodes.isEmpty()) {
      definition.problems.add("group '" + where + "' is empty; add a step or remove the group");
    }
    add(new Group<>(name, b.description, b.nodes, b.watches, b.when));
    return self();
  }

  /** Adds branches that run at the same time. */
  public B parallel(String name, Consumer<Parallel.Branches<P>> spec) {
    String where = definition.claim(name, path);
    Parallel.Branches<P> branches = new Parallel.Branches<>(definition, this, where);
    Objects.requireNonNull(spec, "spec").accept(branches);
    if (branches.branches.isEmpty()) {
      definition.problems.add("parallel '" + where + "' has no branches; add branch(...)");
    }
    add(new Parallel<>(name, branches.branches, branches.when, branches.failFast));
    return self();
  }

  /**
   * Adds a branch: the first option whose condition holds runs, or {@code otherwise} when none does
   * (see {@link Choice}).
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B choose(String name, Consumer<Choice.Options<P>> spec) {
    String where = definition.claim(name, path);
    Choice.Options<P> options = new Choice.Options<>(definition, this, where);
    Objects.requireNonNull(spec, "spec").accept(options);
    options.check();
    add(new Choice<>(name, options.description(), options.options));
    return self();
  }

  /**
   * Ends the run here, successfully, for {@code reason}: nothing after it runs (see {@link Succeed}).
   * Not allowed inside a parallel branch or a forEach; nothing may follow it in its block.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public B succeed(String reason) {
    String where = where(Succeed.NAME);
    if (reason == null || reason.isBlank()) {
      definition.problems.add("succeed at '" + where + "' needs a reason: say why the run may end here");
    }
    if (concurrentScope != null) {
      definition.problems.add("succeed at '" + where + "' is inside " + concurrentScope
          + ", whose other strands would still run; end the run after it instead");
    }
    for (Node n : nodes) {
      if (n.name().equals(Succeed.NAME)) {
        definition.problems.add("'" + where + "' is a name used twice in one block; rename the node named succeed");
      }
    }
    add(new Succeed<P>(reason == null ? "" : reason));
    succeedAt = where;
    return self();
  }

  /**
   * Runs {@code spec}'s nodes once per item, at most {@code maxConcurrency} at a time, tolerating
   * up to {@code maxErrors} failed items.
   */
  public <I> B forEach(String name, ItemsFunction<P, I> items, int maxConcurrency, int maxErrors,
      Consumer<Block<P>> spec) {
    String where = definition.claim(name, path);
    String subject = "forEach '" + where + "'";
    if (maxConcurrency < 1) {
      definition.problems.add(subject + ": maxConcurrency must be at least 1, was " + maxConcurrency);
    }
    if (maxErrors < 0) {
      definition.problems.add(subject + ": maxErrors must not be negative, was " + maxErrors);
    }
    Block<P> b = new Block<>(definition, this, where, subject);
    Objects.requireNonNull(spec, "spec").accept(b);
    if (b.nodes.isEmpty()) {
      definition.problems.add(subject + " is empty; add a step");
    }
    if (!b.watches.isEmpty()) {
      definition.problems.add(subject + " declares watches; put them on an enclosing group or the runbook");
    }
    add(new ForEach<>(name, Objects.requireNonNull(items, "items"), maxConcurrency, maxErrors, b.nodes, b.description,
        b.when));
    return self();
  }

  /** Adds a watch over this scope, polled every {@code every} during bakes and waits. */
  public B watch(String name, Duration every, WatchCheck<P> check) {
    String where = definition.claim(name, path);
    positive("watch '" + where + "'", "every", every);
    watches.add(new Watch<>(name, every, Objects.requireNonNull(check, "check")));
    return self();
  }

  private void positive(String subject, String what, Duration d) {
    if (d == null) {
      definition.problems.add(subject + ": " + what + " is missing");
    } else if (d.isNegative() || d.isZero()) {
      definition.problems.add(subject + ": " + what + " must be positive, was " + Durations.format(d));
    }
  }

  boolean hasWatchInScope() {
    for (Nodes<P, ?> n = this; n != null; n = n.parent) {
      if (!n.watches.isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** The builder of a group, a parallel branch or a forEach body. Not threadsafe. */
  public static final class Block<P> extends Nodes<P, Block<P>> {
    String description = "";
    When<P> when;

    Block(Definition definition, Nodes<P, ?> parent, String path, String concurrentScope) {
      super(definition, parent, path, concurrentScope);
    }

    /** A one-line description shown in the plan. */
    public Block<P> description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /**
     * Runs this group, parallel branch or forEach only when {@code condition} holds, asked once when
     * the run reaches it; otherwise it is passed over (journaled as skipped) and none of its steps
     * starts. Not for the option of a {@code choose}, whose condition is given with it.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Block<P> when(String description, Condition<P> condition) {
      this.when = new When<>(description, condition);
      return this;
    }

    /**
     * {@link #when(String, Condition)} described in the plan as "a condition".
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Block<P> when(Condition<P> condition) {
      return when("a condition", condition);
    }
  }

  /** What a runbook's builders share while a definition is being built. */
  static final class Definition {
    final List<String> problems = new ArrayList<>();
    final Map<String, String> names = new LinkedHashMap<>();
    final Map<String, Nodes<?, ?>> bakes = new LinkedHashMap<>();
    /** The channels of the notify steps. */
    final java.util.Set<String> channels = new java.util.TreeSet<>();
    /** What steps inherit ({@link Runbook.Builder#defaults}), or null. */
    StepDefaults defaults;
    /** How many steps were added so far. */
    int stepsSeen;

    String claim(String name, String path) {
      String where = path.isEmpty() ? String.valueOf(name) : path + "/" + name;
      if (name == null || !NAME.matcher(name).matches()) {
        problems.add("name '" + name + "' at '" + where + "' is not valid; use letters, digits and - _ . : @");
        return where;
      }
      String first = names.putIfAbsent(name, where);
      if (first != null) {
        problems.add("name '" + name + "' is used twice, at '" + first + "' and '" + where
            + "'; names must be unique within a runbook");
      }
      return where;
    }

    void checkBakes() {
      bakes.forEach((where, scope) -> {
        if (!scope.hasWatchInScope()) {
          problems.add("bake '" + where + "' has no watch in scope, so nothing is observed; add a watch or use sleep");
        }
      });
    }
  }
}
