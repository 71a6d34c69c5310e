package dev.runbook4j;

import java.util.List;
import org.apiguardian.api.API;

/**
 * Resolves the items of a {@code forEach} from the run's parameters; called once, when the plan is
 * made, so the plan shows every item.
 *
 * @param <P> the runbook's parameter type
 * @param <I> the item type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
@FunctionalInterface
public interface ItemsFunction<P, I> {
  List<I> items(P params);
}
