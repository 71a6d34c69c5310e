package dev.runbook4j.dsl;

import groovy.lang.Closure;
import java.time.Duration;
import org.apiguardian.api.API;

/**
 * The keywords inside {@code watch('name') { }}.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class WatchDsl {
  Closure<?> check;
  Duration every = Duration.ofMinutes(1);

  /** {@code check { ctx -> healthy }}: true or a {@code Health}; false or an exception is a breach. */
  public void check(Closure<?> check) {
    this.check = check;
  }

  /** How often it is checked during bakes and waits (default 1 minute). */
  public void every(Object every) {
    this.every = Dsl.duration(every, "watch every");
  }
}
