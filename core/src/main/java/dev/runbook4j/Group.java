package dev.runbook4j;

import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * A named stage of nodes run in order, with its own watches; also each branch of a
 * {@link Parallel}.
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Group<P> implements Node {
  private final String name;
  private final String description;
  private final List<Node> nodes;
  private final List<Watch<P>> watches;
  private final When<P> when;

  Group(String name, String description, List<Node> nodes, List<Watch<P>> watches) {
    this(name, description, nodes, watches, null);
  }

  Group(String name, String description, List<Node> nodes, List<Watch<P>> watches, When<P> when) {
    this.when = when;
    this.name = name;
    this.description = description;
    this.nodes = List.copyOf(nodes);
    this.watches = List.copyOf(watches);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return description;
  }

  public List<Node> nodes() {
    return nodes;
  }

  public List<Watch<P>> watches() {
    return watches;
  }

  @Override
  public Optional<When<?>> when() {
    return Optional.ofNullable(when);
  }

  @Override
  public String toString() {
    return "Group[" + name + ", " + nodes.size() + " nodes]";
  }
}
