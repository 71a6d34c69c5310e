package dev.runbook4j.dsl;

import dev.runbook4j.RetrySpec;
import dev.runbook4j.Step;
import groovy.lang.Closure;
import groovy.lang.Script;
import java.util.Map;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * The keywords inside {@code step('name') { }}; each calls one method of {@link Step.Builder}.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class StepDsl {
  private final Script script;
  private final Step.Builder<ScriptParams, Object> step;

  StepDsl(Script script, Step.Builder<ScriptParams, Object> step) {
    this.script = script;
    this.step = step;
  }

  /** {@code action { ctx -> value }}: what the step does; its value is the step's output. */
  public void action(Closure<?> action) {
    step.action(ctx -> Dsl.call(action, script, new DslContext(ctx)));
  }

  /** {@code compensate { ctx, output -> }}: how the step is undone. */
  public void compensate(Closure<?> compensation) {
    step.compensate((ctx, out) -> Dsl.call(compensation, script, new DslContext(ctx), out));
  }

  /**
   * {@code compensate(retry: [maxAttempts: 5, backoff: '2s'], timeout: '5m', onFailure: 'stop') { ctx, output -> }}:
   * its retries, the timeout of one attempt, and whether its failure stops the rollback ('continue', the
   * default, undoes the others).
   */
  public void compensate(Map<String, Object> options, Closure<?> compensation) {
    Object retry = options.get("retry");
    if (retry != null && !(retry instanceof Map<?, ?>)) {
      throw new IllegalArgumentException("compensate: retry must be a map like [maxAttempts: 5, backoff: '2s'], was "
          + Dsl.describe(retry));
    }
    if (retry instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      RetrySpec spec = retrySpec((Map<String, Object>) m);
      step.compensate((ctx, out) -> Dsl.call(compensation, script, new DslContext(ctx), out), spec);
    } else {
      compensate(compensation);
    }
    if (options.containsKey("timeout")) {
      step.compensationTimeout(Dsl.duration(options.get("timeout"), "compensate timeout"));
    }
    Object onFailure = options.get("onFailure");
    if (onFailure != null) {
      String v = String.valueOf(onFailure).toLowerCase(java.util.Locale.ROOT);
      if (!v.equals("stop") && !v.equals("continue")) {
        throw new IllegalArgumentException("compensate: onFailure " + Dsl.describe(onFailure)
            + " is not one of 'continue' (undo the others), 'stop' (stop the rollback there)");
      }
      step.onCompensationFailure(v.equals("stop") ? dev.runbook4j.OnCompensationFailure.STOP
          : dev.runbook4j.OnCompensationFailure.CONTINUE);
    }
  }

  /** The step changes nothing: nothing to undo. */
  public void readOnly() {
    step.readOnly();
  }

  /** The step cannot be undone: a point of no return in the plan. */
  public void irreversible() {
    step.irreversible();
  }

  /** {@code retry maxAttempts: 3, backoff: '1s', multiplier: 2, maxDelay: '30s', jitter: 0.2} */
  public void retry(Map<String, Object> options) {
    step.retry(retrySpec(options));
  }

  /** The options of {@code retry}, one per setting of {@link RetrySpec.Builder}. */
  static final java.util.Set<String> RETRY_OPTIONS = java.util.Set.of("maxAttempts", "backoff", "multiplier",
      "maxDelay", "jitter", "retryOn", "retryIf");

  @SuppressWarnings("unchecked")
  static RetrySpec retrySpec(Map<String, Object> options) {
    RetrySpec.Builder b = RetrySpec.builder();
    for (Map.Entry<String, Object> e : options.entrySet()) {
      Object v = e.getValue();
      switch (e.getKey()) {
        case "maxAttempts" -> b.maxAttempts(number(v, "maxAttempts").intValue());
        case "backoff" -> b.backoff(Dsl.duration(v, "retry backoff"));
        case "multiplier" -> b.multiplier(number(v, "multiplier").doubleValue());
        case "maxDelay" -> b.maxDelay(Dsl.duration(v, "retry maxDelay"));
        case "jitter" -> b.jitter(number(v, "jitter").doubleValue());
        case "retryOn" -> {
          for (Object c : v instanceof java.util.Collection<?> coll ? coll : java.util.List.of(v)) {
            if (!(c instanceof Class<?> k) || !Throwable.class.isAssignableFrom(k)) {
              throw new IllegalArgumentException("retry retryOn: " + Dsl.describe(c) + " is not an exception class");
            }
            b.retryOn((Class<? extends Throwable>) k);
          }
        }
        case "retryIf" -> {
          if (!(v instanceof Closure<?> c)) {
            throw new IllegalArgumentException("retry retryIf: needs a closure { error -> true }");
          }
          b.retryIf(error -> NodesDsl.truthy(c.call(error)));
        }
        default -> throw new IllegalArgumentException("retry: unknown option '" + e.getKey()
            + "'; use " + String.join(", ", new java.util.TreeSet<>(RETRY_OPTIONS)));
      }
    }
    return b.build();
  }

  private static Number number(Object v, String what) {
    if (v instanceof Number n) {
      return n;
    }
    throw new IllegalArgumentException("retry " + what + ": " + Dsl.describe(v) + " is not a number");
  }

  /** {@code timeout '5m'}: each attempt's limit. */
  public void timeout(Object timeout) {
    step.timeout(Dsl.duration(timeout, "timeout"));
  }

  /** {@code onFailure 'continue'}: 'rollback' (default), 'continue' or 'abort'. */
  public void onFailure(Object onFailure) {
    step.onFailure(Dsl.onFailure(onFailure));
  }

  /**
   * {@code onFailure 'continue', on: CacheWarmupException} (or a list of classes, or a closure
   * {@code { error -> ... }}): routes a failure by its error; rules are asked in the order written,
   * before the step's own {@code onFailure}.
   */
  @SuppressWarnings("unchecked")
  public void onFailure(Map<String, Object> options, Object onFailure) {
    dev.runbook4j.OnFailure route = Dsl.onFailure(onFailure);
    Object on = options.get("on");
    if (on instanceof Closure<?> c) {
      step.onFailure(new dev.runbook4j.FailureRule("a condition", e -> NodesDsl.truthy(c.call(e)), route));
      return;
    }
    if (on == null) {
      throw new IllegalArgumentException("onFailure: on: needs an exception class, a list of them, or { error -> ... }");
    }
    for (Object k : on instanceof java.util.Collection<?> coll ? coll : java.util.List.of(on)) {
      if (!(k instanceof Class<?> type) || !Throwable.class.isAssignableFrom(type)) {
        throw new IllegalArgumentException("onFailure on: " + Dsl.describe(k) + " is not an exception class");
      }
      step.onFailure((Class<? extends Throwable>) type, route);
    }
  }

  /** A line shown in the plan. */
  public void description(String text) {
    step.description(text);
  }

  /** {@code circuitBreaker 'ecs-api'}: steps naming one breaker share it. */
  public void circuitBreaker(String name) {
    step.circuitBreaker(name);
  }

  /**
   * {@code reconcile { ctx -> output or null }}: after a crash, before the step is tried again, finds
   * whether its change was made (a non-null output means done).
   */
  public void reconcile(Closure<?> reconcile) {
    step.reconcile(ctx -> Optional.ofNullable(Dsl.call(reconcile, script, new DslContext(ctx))));
  }

  /** A policy object of the engine's policy adapter (a Resilience4j or Failsafe policy). */
  public void policy(dev.runbook4j.spi.StepPolicy policy) {
    step.withPolicy(policy);
  }

  /** {@code when { params.canary }}: the step runs only when this holds (asked when the run reaches it). */
  public void when(Closure<?> condition) {
    when(Map.of(), condition);
  }

  /** {@code when('a canary run') { params.canary }}: {@link #when(Closure)}, described in the plan by its text. */
  public void when(String description, Closure<?> condition) {
    step.when(description, Dsl.condition(condition, script));
  }

  /** {@code when(text: 'params.canary') { ... }}: the loader's form of {@link #when(Closure)}, with its source. */
  public void when(Map<String, Object> options, Closure<?> condition) {
    step.when(Dsl.conditionText(options), Dsl.condition(condition, script));
  }
}
