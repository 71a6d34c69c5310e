package dev.runbook4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.apiguardian.api.API;

/**
 * The engine's own retry policy for a step or compensation: attempts, exponential backoff with
 * jitter, a cap on the delay, and which errors are retried. The attempt number and the instant of
 * the next attempt are journaled, so a retry that spans minutes survives a restart.
 *
 * <pre>{@code
 * RetrySpec.builder().maxAttempts(5).backoff(Duration.ofSeconds(2)).multiplier(2)
 *     .maxDelay(Duration.ofMinutes(1)).jitter(0.2).retryOn(ThrottlingException.class).build();
 * }</pre>
 *
 * <p>The delay before attempt {@code n + 1} is {@code min(maxDelay, backoff * multiplier^(n-1))},
 * then shortened by a random fraction of up to {@code jitter} of itself (so runs that fail together
 * do not retry together, and no delay exceeds {@code maxDelay}), drawn from a stream seeded by the
 * run and step, so a replayed run waits the same. A timeout ({@link StepTimeoutException}) is an error like any other.
 *
 * <p>This class is threadsafe. Invalid values are reported by {@link #problems()} and make
 * {@code Runbook.build()} fail with every problem listed.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class RetrySpec {
  private static final RetrySpec NONE = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final Duration backoff;
  private final double multiplier;
  private final Duration maxDelay;
  private final double jitter;
  private final List<Class<? extends Throwable>> retryOn;
  private final Predicate<Throwable> retryIf;

  private RetrySpec(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.backoff = b.backoff;
    this.multiplier = b.multiplier;
    this.maxDelay = b.maxDelay != null ? b.maxDelay
        : b.backoff.compareTo(Duration.ofMinutes(1)) > 0 ? b.backoff : Duration.ofMinutes(1);
    this.jitter = b.jitter;
    this.retryOn = List.copyOf(b.retryOn);
    this.retryIf = b.retryIf;
  }

  /** One attempt, no retry: the default for steps. */
  public static RetrySpec none() {
    return NONE;
  }

  /** {@code maxAttempts} attempts with a 1 s backoff doubling up to 1 min, no jitter. */
  public static RetrySpec of(int maxAttempts) {
    return builder().maxAttempts(maxAttempts).build();
  }

  /** The default for compensations: 3 attempts, 1 s backoff doubling up to 30 s. */
  public static RetrySpec compensationDefault() {
    return COMPENSATION_DEFAULT;   // immutable: one for every step
  }

  private static final RetrySpec COMPENSATION_DEFAULT = builder().maxAttempts(3).backoff(Duration.ofSeconds(1))
      .maxDelay(Duration.ofSeconds(30)).build();

  public static Builder builder() {
    return new Builder();
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration backoff() {
    return backoff;
  }

  public double multiplier() {
    return multiplier;
  }

  public Duration maxDelay() {
    return maxDelay;
  }

  public double jitter() {
    return jitter;
  }

  /** Whether {@code error} may be retried (attempts left aside). */
  public boolean retries(Throwable error) {
    boolean byClass = retryOn.isEmpty() || retryOn.stream().anyMatch(c -> c.isInstance(error));
    return byClass && (retryIf == null || retryIf.test(error));
  }

  /**
   * The delay before attempt {@code failedAttempt + 1}, jittered by a stream seeded with
   * {@code seed}: the same seed gives the same delay.
   */
  public Duration delayAfter(int failedAttempt, long seed) {
    double base = backoff.toNanos() * Math.pow(multiplier, Math.max(0, failedAttempt - 1));
    double capped = Math.min(base, (double) maxDelay.toNanos());
    if (jitter > 0) {
      double r = new SplittableRandom(seed * 31 + failedAttempt).nextDouble();
      capped = capped * (1 - jitter * r);
    }
    return Duration.ofNanos((long) Math.max(0, capped));
  }

  /** The problems of this spec, one sentence each; empty when it is valid. */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (maxAttempts < 1) {
      p.add("retry maxAttempts must be at least 1, was " + maxAttempts);
    }
    if (backoff.isNegative()) {
      p.add("retry backoff must not be negative, was " + backoff);
    }
    if (!(multiplier >= 1.0)) {
      p.add("retry multiplier must be at least 1.0, was " + multiplier);
    }
    if (maxDelay.compareTo(backoff) < 0) {
      p.add("retry maxDelay (" + Durations.format(maxDelay) + ") must not be shorter than backoff ("
          + Durations.format(backoff) + ")");
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      p.add("retry jitter must be between 0.0 and 1.0, was " + jitter);
    }
    return p;
  }

  /** What {@link #toString} says, once made (a plan shows it for every step of every run). */
  private String text;

  @Override
  public String toString() {
    String t = text;
    if (t == null) {
      text = t = describe();
    }
    return t;
  }

  private String describe() {
    if (maxAttempts == 1) {
      return "no retry";
    }
    return maxAttempts + " attempts, backoff " + Durations.format(backoff)
        + (multiplier == 1.0 ? "" : " x" + trim(multiplier)) + ", max " + Durations.format(maxDelay)
        + (jitter == 0 ? "" : ", jitter " + trim(jitter))
        + (retryOn.isEmpty() ? "" : ", on " + retryOn.stream().map(Class::getSimpleName).toList());
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  /** Builds a {@link RetrySpec}; not threadsafe. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration backoff = Duration.ofSeconds(1);
    private double multiplier = 2.0;
    private Duration maxDelay;
    private double jitter = 0.0;
    private final List<Class<? extends Throwable>> retryOn = new ArrayList<>();
    private Predicate<Throwable> retryIf;

    private Builder() {}

    /** Attempts in all, the first included (default 3). */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The delay before the second attempt (default 1 s). */
    public Builder backoff(Duration backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /** The factor applied to the delay after each failed attempt (default 2). */
    public Builder multiplier(double multiplier) {
      this.multiplier = multiplier;
      return this;
    }

    /** The longest delay between attempts (default 1 min, or the backoff when that is longer). */
    public Builder maxDelay(Duration maxDelay) {
      this.maxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
      return this;
    }

    /** Shorten each delay by a random fraction of up to {@code fraction} of itself (0 to 1, default 0). */
    public Builder jitter(double fraction) {
      this.jitter = fraction;
      return this;
    }

    /** Retry only errors of these types (default: every error). */
    @SafeVarargs
    public final Builder retryOn(Class<? extends Throwable>... types) {
      for (Class<? extends Throwable> t : types) {
        retryOn.add(Objects.requireNonNull(t, "type"));
      }
      return this;
    }

    /** Retry only errors that {@code predicate} accepts (combined with {@link #retryOn}). */
    public Builder retryIf(Predicate<Throwable> predicate) {
      this.retryIf = Objects.requireNonNull(predicate, "predicate");
      return this;
    }

    public RetrySpec build() {
      return new RetrySpec(this);
    }
  }
}
