package dev.runbook4j.dsl;

import dev.runbook4j.LockPolicy;
import dev.runbook4j.Runbook;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;
import groovy.lang.Script;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The keywords inside {@code runbook('name') { }}: the runbook's own (description, parameters,
 * locks, plan compatibility, parameter validation) and every node keyword.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class RunbookDsl extends NodesDsl {
  final Runbook.Builder<ScriptParams> runbook;
  final ParametersDsl parameters = new ParametersDsl();
  final List<ScriptInvariant> invariants = new ArrayList<>();
  java.util.function.Consumer<ScriptParams> testReset;

  RunbookDsl(Script script, Runbook.Builder<ScriptParams> runbook) {
    super(script, runbook);
    this.runbook = runbook;
  }

  /** A line shown in the plan. */
  public void description(String text) {
    runbook.description(text);
  }

  /**
   * {@code defaults { retry maxAttempts: 3, backoff: '10s'; timeout '5m' }}: what every step inherits
   * unless it sets its own; written before the first step.
   */
  public void defaults(@DelegatesTo(value = DefaultsDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    runbook.defaults(d -> Dsl.configure(body, new DefaultsDsl(d)));
  }

  /**
   * {@code on('rolledBack', channel: 'oncall') { ctx -> "rolled back ${params.version}" }}: a message
   * each run sends at that moment ({@code started}, {@code awaitingApproval}, {@code succeeded},
   * {@code rolledBack}, {@code rollbackFailed}) to the engine's notifier of that name.
   */
  public void on(Map<String, Object> options, String hook, Closure<?> message) {
    Object channel = options.get("channel");
    if (!(channel instanceof CharSequence)) {
      throw new IllegalArgumentException("on '" + hook + "': channel: names the notifier to send to, a string;"
          + " was " + Dsl.describe(channel));
    }
    runbook.on(dev.runbook4j.RunHook.of(hook), channel.toString(),
        ctx -> String.valueOf(Dsl.call(message, script, new DslContext(ctx))));
  }

  /**
   * {@code beforeRollback('confirm-rollback') { approval { approvers 'oncall'; timeout '30m' } }}: a gate
   * the rollback waits at before it undoes anything. Rejected by a person: nothing is undone (the run
   * ends ABORTED); timed out: as its {@code onFailure} ('rollback', the default, undoes anyway; 'abort'
   * leaves it as it is).
   */
  public void beforeRollback(String name,
      @DelegatesTo(value = GateDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    runbook.beforeRollback(name, b -> Dsl.configure(body, new GateDsl(script, b)));
  }

  /**
   * {@code timeout '2h'}: the whole run's bound, from its start; past it the run starts no new node,
   * its waits end, and it rolls back.
   */
  public void timeout(Object timeout) {
    runbook.timeout(Dsl.duration(timeout, "runbook timeout"));
  }

  /** {@code parameters { string 'version', required: true; ... }} */
  public void parameters(@DelegatesTo(value = ParametersDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    Dsl.configure(body, parameters);
  }

  /** {@code lock 'web-prod'} */
  public void lock(String key) {
    runbook.lock(key);
  }

  /** {@code lock 'web-prod', policy: 'latest-wins'} ('fifo', 'latest-wins', 'fail-fast') */
  public void lock(Map<String, Object> options, String key) {
    runbook.lock(key, policy(options));
  }

  /** {@code lock { "web-${params.env}" }} */
  public void lock(Closure<?> key) {
    lock(Map.of(), key);
  }

  /** {@code lock(policy: 'fail-fast') { "web-${params.env}" }} */
  public void lock(Map<String, Object> options, Closure<?> key) {
    runbook.lock(params -> {
      Closure<?> c = (Closure<?>) key.clone();
      c.setDelegate(new ParamsScope(params));
      c.setResolveStrategy(Closure.DELEGATE_FIRST);
      return String.valueOf(c.getMaximumNumberOfParameters() == 0 ? c.call() : c.call(params));
    }, policy(options));
  }

  private static LockPolicy policy(Map<String, Object> options) {
    for (String k : options.keySet()) {
      if (!k.equals("policy")) {
        throw new IllegalArgumentException("lock: unknown option '" + k + "'; use policy");
      }
    }
    Object p = options.getOrDefault("policy", "fifo");
    for (LockPolicy lp : LockPolicy.values()) {
      if (lp.label().equals(String.valueOf(p).toLowerCase(Locale.ROOT)) || lp == p) {
        return lp;
      }
    }
    throw new IllegalArgumentException("lock: policy " + Dsl.describe(p) + " is not one of 'fifo', 'latest-wins',"
        + " 'fail-fast'");
  }

  /** Runs started with these plans (an earlier version of this script) may be resumed with this one. */
  public void compatibleWith(String... planHashes) {
    runbook.compatibleWith(planHashes);
  }

  /** {@code validate { params -> params.percent > 50 && params.env == 'prod' ? ['too much for prod'] : [] }} */
  public void validate(Closure<?> validator) {
    runbook.validateParams(params -> {
      Closure<?> c = (Closure<?>) validator.clone();
      c.setDelegate(new ParamsScope(params));
      c.setResolveStrategy(Closure.DELEGATE_FIRST);
      Object r = c.getMaximumNumberOfParameters() == 0 ? c.call() : c.call(params);
      List<String> problems = new ArrayList<>();
      if (r instanceof Collection<?> coll) {
        coll.forEach(x -> problems.add(String.valueOf(x)));
      } else if (r != null && !(r instanceof Boolean)) {
        problems.add(String.valueOf(r));
      }
      return problems;
    });
  }

  /**
   * {@code invariant('nothing is left after a rollback', when: 'rolledBack') { params -> ... }}: what
   * must hold after a run that ended so ('rolledBack', 'succeeded', or 'always', the default).
   * {@code runbook4j test} checks it after every failure path; the engine does not run it.
   */
  public void invariant(Map<String, Object> options, String description, Closure<?> check) {
    for (String k : options.keySet()) {
      if (!k.equals("when")) {
        throw new IllegalArgumentException("invariant: unknown option '" + k + "'; use when");
      }
    }
    String when = String.valueOf(options.getOrDefault("when", "always"));
    if (!List.of("rolledBack", "succeeded", "always").contains(when)) {
      throw new IllegalArgumentException("invariant '" + description + "': when " + Dsl.describe(options.get("when"))
          + " is not one of 'rolledBack', 'succeeded', 'always'");
    }
    invariants.add(new ScriptInvariant(description, when, params -> {
      Closure<?> c = (Closure<?>) check.clone();
      c.setDelegate(new ParamsScope(params));
      c.setResolveStrategy(Closure.DELEGATE_FIRST);
      Object r = c.getMaximumNumberOfParameters() == 0 ? c.call() : c.call(params);
      return org.codehaus.groovy.runtime.typehandling.DefaultTypeTransformation.castToBoolean(r);
    }));
  }

  /** {@code invariant('the alias points at a published version') { params -> ... }}, checked after every run. */
  public void invariant(String description, Closure<?> check) {
    invariant(Map.of(), description, check);
  }

  /**
   * {@code testReset { params -> ... }}: puts the test environment back where a run starts from,
   * before each failure path {@code runbook4j test} explores (the paths share the environment the
   * parameters point at). The engine does not run it.
   */
  public void testReset(Closure<?> reset) {
    testReset = params -> {
      Closure<?> c = (Closure<?>) reset.clone();
      c.setDelegate(new ParamsScope(params));
      c.setResolveStrategy(Closure.DELEGATE_FIRST);
      if (c.getMaximumNumberOfParameters() == 0) {
        c.call();
      } else {
        c.call(params);
      }
    };
  }
}
