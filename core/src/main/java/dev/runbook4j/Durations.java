package dev.runbook4j;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * Reads and prints durations the way runbooks write them: {@code 90s}, {@code 10m},
 * {@code 1h30m}, {@code 2d}, {@code 250ms}.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|d|h|m|s)");

  private Durations() {}

  /**
   * Parses {@code text} such as {@code "1h30m"}.
   *
   * @throws IllegalArgumentException naming the text and the accepted forms when it is not one
   */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty duration; write it like 90s, 10m, 1h30m, 2d or 250ms");
    }
    String t = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = PART.matcher(t);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms": total = total.plusMillis(n); break;
        case "s": total = total.plusSeconds(n); break;
        case "m": total = total.plusMinutes(n); break;
        case "h": total = total.plusHours(n); break;
        default: total = total.plusDays(n); break;
      }
      end = m.end();
    }
    if (end != t.length() || end == 0) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration; write it like 90s, 10m, 1h30m, 2d or 250ms");
    }
    return total;
  }

  /** Prints {@code d} in the same compact form, for example {@code 1h30m}; never {@code null}. */
  public static String format(Duration d) {
    if (d == null) {
      return "none";
    }
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder(d.isNegative() ? "-" : "");
    Duration a = d.abs();
    long days = a.toDays();
    long hours = a.toHoursPart();
    long minutes = a.toMinutesPart();
    long seconds = a.toSecondsPart();
    long millis = a.toMillisPart();
    if (days > 0) sb.append(days).append('d');
    if (hours > 0) sb.append(hours).append('h');
    if (minutes > 0) sb.append(minutes).append('m');
    if (seconds > 0) sb.append(seconds).append('s');
    if (millis > 0) sb.append(millis).append("ms");
    return sb.length() == 0 || sb.toString().equals("-") ? a.toNanos() + "ns" : sb.toString();
  }
}
