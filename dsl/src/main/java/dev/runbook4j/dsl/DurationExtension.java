package dev.runbook4j.dsl;

import java.time.Duration;
import org.apiguardian.api.API;

/**
 * Lets scripts write durations as numbers: {@code 10.minutes}, {@code 90.seconds}, {@code 2.hours},
 * {@code 1.day}. A Groovy extension module, registered in
 * {@code META-INF/groovy/org.codehaus.groovy.runtime.ExtensionModule}; public only for Groovy to find it.
 */
@API(status = API.Status.INTERNAL, since = "0.1")
public final class DurationExtension {
  private DurationExtension() {}

  public static Duration getMilliseconds(Number self) {
    return Duration.ofMillis(self.longValue());
  }

  public static Duration getSeconds(Number self) {
    return Duration.ofSeconds(self.longValue());
  }

  public static Duration getSecond(Number self) {
    return getSeconds(self);
  }

  public static Duration getMinutes(Number self) {
    return Duration.ofMinutes(self.longValue());
  }

  public static Duration getMinute(Number self) {
    return getMinutes(self);
  }

  public static Duration getHours(Number self) {
    return Duration.ofHours(self.longValue());
  }

  public static Duration getHour(Number self) {
    return getHours(self);
  }

  public static Duration getDays(Number self) {
    return Duration.ofDays(self.longValue());
  }

  public static Duration getDay(Number self) {
    return getDays(self);
  }
}
