package dev.runbook4j;

import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Branches that run at the same time. When one fails, the others finish the node in progress and
 * start no new one (or, with {@link Branches#failFast(boolean) failFast(false)}, go on to their
 * end); then every started step of every branch is compensated in reverse start order.
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Parallel<P> implements Node {
  private final String name;
  private final List<Group<P>> branches;
  private final When<P> when;
  private final boolean failFast;

  Parallel(String name, List<Group<P>> branches, When<P> when, boolean failFast) {
    this.when = when;
    this.failFast = failFast;
    this.name = name;
    this.branches = List.copyOf(branches);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return "";
  }

  public List<Group<P>> branches() {
    return branches;
  }

  /**
   * Whether a failed branch stops the others at their next node (the default), or lets them finish
   * before the failure rolls the run back.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public boolean failFast() {
    return failFast;
  }

  /** Adds the branches of a {@link Parallel}. Not threadsafe. */
  public static final class Branches<P> {
    private final Nodes.Definition definition;
    private final Nodes<P, ?> parent;
    private final String path;
    final java.util.List<Group<P>> branches = new java.util.ArrayList<>();
    When<P> when;
    boolean failFast = true;

    Branches(Nodes.Definition definition, Nodes<P, ?> parent, String path) {
      this.definition = definition;
      this.parent = parent;
      this.path = path;
    }

    /**
     * Runs the parallel only when {@code condition} holds, asked once when the run reaches it.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Branches<P> when(String description, Condition<P> condition) {
      this.when = new When<>(description, condition);
      return this;
    }

    /**
     * {@link #when(String, Condition)} described in the plan as "a condition".
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Branches<P> when(Condition<P> condition) {
      return when("a condition", condition);
    }

    /**
     * {@code false}: when a branch fails, the other branches go on to their end (a fleet's other
     * regions finish their wave, a test matrix reports every result), and then the failure rolls the
     * run back, undoing every branch's started steps. Default {@code true}: the others start no new
     * node.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Branches<P> failFast(boolean failFast) {
      this.failFast = failFast;
      return this;
    }

    /** Adds a branch: nodes run in order, at the same time as the other branches. */
    public Branches<P> branch(String name, java.util.function.Consumer<Nodes.Block<P>> spec) {
      String where = definition.claim(name, path);
      Nodes.Block<P> b = new Nodes.Block<>(definition, parent, where, "parallel '" + path + "'");
      java.util.Objects.requireNonNull(spec, "spec").accept(b);
      if (b.nodes.isEmpty()) {
        definition.problems.add("branch '" + where + "' is empty; add a step or remove the branch");
      }
      branches.add(new Group<>(name, b.description, b.nodes, b.watches, b.when));
      return this;
    }
  }

  @Override
  public Optional<When<?>> when() {
    return Optional.ofNullable(when);
  }

  @Override
  public String toString() {
    return "Parallel[" + name + ", " + branches.size() + " branches]";
  }
}
