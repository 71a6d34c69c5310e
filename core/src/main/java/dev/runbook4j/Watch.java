package dev.runbook4j;

import java.time.Duration;
import org.apiguardian.api.API;

/**
 * A monitor over a scope (the whole runbook or a group): checked before each step of its scope and
 * every {@link #every()} during bakes and waitUntils. A breach fails the scope, which rolls the run
 * back.
 *
 * <p>This class is threadsafe.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Watch<P> {
  private final String name;
  private final Duration every;
  private final WatchCheck<P> check;

  Watch(String name, Duration every, WatchCheck<P> check) {
    this.name = name;
    this.every = every;
    this.check = check;
  }

  public String name() {
    return name;
  }

  public Duration every() {
    return every;
  }

  public WatchCheck<P> check() {
    return check;
  }

  @Override
  public String toString() {
    return "Watch[" + name + " every " + Durations.format(every) + "]";
  }
}
