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

  Nodes(Definition definition, Nodes<P, ?> parent, String path) {
    this.definition = definition;
    this.parent = parent;
    this.path = path;
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
    Objects.requireNonNull(spec, "spec").accept(b);
    nodes.add(b.build(where, definition.problems));
    return self();
  }

  /** Adds a gate. */
  public B gate(String name, Consumer<Gate.Builder<P>> spec) {
    String where = definition.claim(name, path);
    Gate.Builder<P> b = new Gate.Builder<>(name);
    Objects.requireNonNull(spec, "spec").accept(b);
    nodes.add(b.build(where, definition.problems));
    return self();
  }

  /** Adds a plain pause of {@code duration}; watches are checked before and after, not during. */
  public B sleep(String name, Duration duration) {
    String where = definition.claim(name, path);
    positive("sleep '" + where + "'", "duration", duration);
    nodes.add(new Wait<>(name, Wait.Kind.SLEEP, duration, null, null));
    return self();
  }

  /** Polls {@code condition} every {@code every} until it holds; fails after {@code timeout}. */
  public B waitUntil(String name, Duration every, Duration timeout, WaitCondition<P> condition) {
    String where = definition.claim(name, path);
    String subject = "waitUntil '" + where + "'";
    positive(subject, "every", every);
    positive(subject, "timeout", timeout);
    if (every != null && timeout != null && every.compareTo(timeout) > 0) {
      definition.problems.add(subject + ": every (" + Durations.format(every) + ") is longer than timeout ("
          + Durations.format(timeout) + ")");
    }
    nodes.add(new Wait<>(name, Wait.Kind.WAIT_UNTIL, timeout, every, Objects.requireNonNull(condition, "condition")));
    return self();
  }

  /** Waits {@code duration} while the watches in scope are polled; a breach fails the scope. */
  public B bake(String name, Duration duration) {
    String where = definition.claim(name, path);
    positive("bake '" + where + "'", "duration", duration);
    definition.bakes.put(where, this);
    nodes.add(new Wait<>(name, Wait.Kind.BAKE, duration, null, null));
    return self();
  }

  /** Adds a named stage. */
  public B group(String name, Consumer<Block<P>> spec) {
    String where = definition.claim(name, path);
    Block<P> b = new Block<>(definition, this, where);
    Objects.requireNonNull(spec, "spec").accept(b);
    if (b.nodes.isEmpty()) {
      definition.problems.add("group '" + where + "' is empty; add a step or remove the group");
    }
    nodes.add(new Group<>(name, b.description, b.nodes, b.watches));
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
    nodes.add(new Parallel<>(name, branches.branches));
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
    Block<P> b = new Block<>(definition, this, where);
    Objects.requireNonNull(spec, "spec").accept(b);
    if (b.nodes.isEmpty()) {
      definition.problems.add(subject + " is empty; add a step");
    }
    if (!b.watches.isEmpty()) {
      definition.problems.add(subject + " declares watches; put them on an enclosing group or the runbook");
    }
    nodes.add(new ForEach<>(name, Objects.requireNonNull(items, "items"), maxConcurrency, maxErrors, b.nodes));
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
    private String description = "";

    Block(Definition definition, Nodes<P, ?> parent, String path) {
      super(definition, parent, path);
    }

    /** A one-line description shown in the plan. */
    public Block<P> description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }
  }

  /** What a runbook's builders share while a definition is being built. */
  static final class Definition {
    final List<String> problems = new ArrayList<>();
    final Map<String, String> names = new LinkedHashMap<>();
    final Map<String, Nodes<?, ?>> bakes = new LinkedHashMap<>();

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
