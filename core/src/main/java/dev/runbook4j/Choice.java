package dev.runbook4j;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apiguardian.api.API;

/**
 * A branch: the first option whose condition holds runs, or the {@code otherwise} option when none
 * does (nothing runs when there is none). The choice is asked once, when the run reaches it, over
 * the parameters and earlier steps' outputs, and journaled ({@link RunEvent.BranchChosen}), so a
 * resumed run takes the same option. A rollback undoes the steps the chosen option started, as any
 * other started steps, in reverse start order.
 *
 * <pre>{@code
 * .choose("route", c -> c
 *     .when("healthy", ctx -> ctx.output(PROBE).equals("ok"), o -> o.succeed("the fleet is healthy"))
 *     .when("degraded", ctx -> ctx.output(PROBE).equals("slow"), o -> o.step("restart", ...))
 *     .otherwise(o -> o.step("replace", ...)))
 * }</pre>
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public final class Choice<P> implements Node {
  private final String name;
  private final String description;
  private final List<Group<P>> options;

  Choice(String name, String description, List<Group<P>> options) {
    this.name = name;
    this.description = description;
    this.options = List.copyOf(options);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return description;
  }

  /** A choice has no condition of its own: its options have. */
  @Override
  public Optional<When<?>> when() {
    return Optional.empty();
  }

  /**
   * The options, in the order they are asked; each one's {@link Group#when()} is its condition, and
   * the last one has none when it is the {@code otherwise}.
   */
  public List<Group<P>> options() {
    return options;
  }

  @Override
  public String toString() {
    return "Choice[" + name + ", " + options.size() + " options]";
  }

  /** Adds the options of a {@link Choice}, in the order they are asked. Not threadsafe. */
  public static final class Options<P> {
    private final Nodes.Definition definition;
    private final Nodes<P, ?> parent;
    private final String path;
    private final Set<String> names = new HashSet<>();
    final List<Group<P>> options = new ArrayList<>();
    private boolean otherwise;
    private String description = "";

    Options(Nodes.Definition definition, Nodes<P, ?> parent, String path) {
      this.definition = definition;
      this.parent = parent;
      this.path = path;
    }

    /** A one-line description shown in the plan. */
    public Options<P> description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /**
     * An option named {@code name} (its nodes' ids are {@code choose/name/...}), taken when
     * {@code condition} holds and no option before it did; the plan describes it by its name.
     */
    public Options<P> when(String name, Condition<P> condition, Consumer<Nodes.Block<P>> spec) {
      return when(name, name, condition, spec);
    }

    /** {@link #when(String, Condition, Consumer)}, described in the plan by {@code description}. */
    public Options<P> when(String name, String description, Condition<P> condition, Consumer<Nodes.Block<P>> spec) {
      return option(name, new When<>(description, Objects.requireNonNull(condition, "condition")), spec);
    }

    /** The option taken when none before it held; at most one, and last. */
    public Options<P> otherwise(Consumer<Nodes.Block<P>> spec) {
      if (otherwise) {
        definition.problems.add("choose '" + path + "' has two otherwise options; keep one");
      }
      otherwise = true;
      return option("otherwise", null, spec);
    }

    private Options<P> option(String name, When<P> when, Consumer<Nodes.Block<P>> spec) {
      String where = path + "/" + name;
      if (name == null || !Nodes.validName(name)) {
        definition.problems.add("option '" + name + "' of choose '" + path
            + "' is not a valid name; use letters, digits and - _ . : @");
      } else if (!names.add(name)) {
        definition.problems.add("choose '" + path + "' has two options named '" + name + "'; names must differ");
      }
      if (otherwise && when != null) {
        definition.problems.add("option '" + name + "' of choose '" + path
            + "' comes after otherwise, so it is never asked; put otherwise last");
      }
      Nodes.Block<P> b = new Nodes.Block<>(definition, parent, where, parent.concurrentScope);
      Objects.requireNonNull(spec, "spec").accept(b);
      if (b.when != null) {
        definition.problems.add("option '" + where + "' sets when(...) inside; its condition is given with the option");
      }
      options.add(new Group<>(name, b.description, b.nodes, b.watches, when));
      return this;
    }

    String description() {
      return description;
    }

    void check() {
      if (options.isEmpty()) {
        definition.problems.add("choose '" + path + "' has no options; add when(...) or otherwise(...)");
      }
      for (Group<P> o : options) {
        if (!o.watches().isEmpty()) {
          definition.problems.add("option '" + path + "/" + o.name()
              + "' declares watches; put them on a group inside it or around the choose");
        }
      }
    }
  }
}
