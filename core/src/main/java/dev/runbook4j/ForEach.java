package dev.runbook4j;

import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * The same nodes run once per item, at most {@link #maxConcurrency()} items at a time. When more
 * than {@link #maxErrors()} items have failed (or one ended otherwise: rejected, aborted), no new
 * item starts and the items in flight start no new node — the step each is in finishes, as in the
 * branches of a {@link Parallel} — and the run rolls back (completed items included); a failure
 * within {@code maxErrors} stops only its own item. Step ids inside carry the item:
 * {@code hosts[web-1]/drain}.
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @param <I> the item type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class ForEach<P, I> implements Node {
  private final String name;
  private final ItemsFunction<P, I> items;
  private final int maxConcurrency;
  private final int maxErrors;
  private final List<Node> nodes;
  private final String description;
  private final When<P> when;

  ForEach(String name, ItemsFunction<P, I> items, int maxConcurrency, int maxErrors, List<Node> nodes,
      String description, When<P> when) {
    this.description = description;
    this.when = when;
    this.name = name;
    this.items = items;
    this.maxConcurrency = maxConcurrency;
    this.maxErrors = maxErrors;
    this.nodes = List.copyOf(nodes);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return description;
  }

  public ItemsFunction<P, I> items() {
    return items;
  }

  public int maxConcurrency() {
    return maxConcurrency;
  }

  public int maxErrors() {
    return maxErrors;
  }

  public List<Node> nodes() {
    return nodes;
  }

  @Override
  public Optional<When<?>> when() {
    return Optional.ofNullable(when);
  }

  @Override
  public String toString() {
    return "ForEach[" + name + ", maxConcurrency " + maxConcurrency + ", maxErrors " + maxErrors + "]";
  }
}
