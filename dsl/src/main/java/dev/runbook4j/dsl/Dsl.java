package dev.runbook4j.dsl;

import dev.runbook4j.Durations;
import dev.runbook4j.OnFailure;
import groovy.lang.Closure;
import groovy.lang.GroovyObjectSupport;
import groovy.lang.MissingMethodException;
import groovy.lang.MissingPropertyException;
import groovy.lang.Script;
import java.time.Duration;
import java.util.Locale;
import org.codehaus.groovy.runtime.InvokerHelper;

/** What the DSL's keyword classes share: durations, enums, and calling the script's closures. */
final class Dsl {
  private Dsl() {}

  static Duration duration(Object value, String what) {
    if (value instanceof Duration d) {
      return d;
    }
    if (value instanceof CharSequence s) {
      try {
        return Durations.parse(s.toString());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(what + ": " + e.getMessage());
      }
    }
    throw new IllegalArgumentException(what + ": " + describe(value) + " is not a duration; write it like '90s', '10m',"
        + " '1h30m' or 10.minutes");
  }

  static String describe(Object value) {
    return value == null ? "null" : value instanceof CharSequence ? "'" + value + "'"
        : value + " (" + value.getClass().getSimpleName() + ")";
  }

  static OnFailure onFailure(Object value) {
    if (value instanceof OnFailure o) {
      return o;
    }
    try {
      return OnFailure.valueOf(String.valueOf(value).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("onFailure: " + describe(value) + " is not one of 'rollback', 'continue',"
          + " 'abort'");
    }
  }

  /** Runs a DSL block with {@code delegate} as its only scope: a misspelt keyword fails. */
  static void configure(Closure<?> body, Object delegate, Object... args) {
    Closure<?> c = (Closure<?>) body.clone();
    c.setDelegate(delegate);
    c.setResolveStrategy(Closure.DELEGATE_ONLY);
    c.call(args);
  }

  /**
   * Calls a closure of the script at run time: {@code ctx} is its argument (if it takes one) and its
   * delegate, so {@code params.x}, {@code output('a')} and {@code idempotencyKey} read unqualified;
   * other names resolve against the script (its helper methods and fields).
   */
  /** A {@code when} closure as a condition: asked with the run's context, its answer Groovy truth. */
  static dev.runbook4j.Condition<ScriptParams> condition(Closure<?> c, Script script) {
    return ctx -> NodesDsl.truthy(call(c, script, new DslContext(ctx)));
  }

  /**
   * What the plan says of a {@code when}: the {@code text} option the loader adds (the closure's
   * source), else "a condition".
   */
  static String conditionText(java.util.Map<String, Object> options) {
    Object t = options == null ? null : options.get("text");
    return t == null ? "a condition" : String.valueOf(t);
  }

  static Object call(Closure<?> body, Script script, DslContext ctx, Object... more) {
    Closure<?> c = (Closure<?>) body.clone();
    c.setDelegate(new Scope(ctx, script));
    c.setResolveStrategy(Closure.DELEGATE_FIRST);
    int n = c.getMaximumNumberOfParameters();
    Object[] args = new Object[Math.min(n, more.length + 1)];
    if (args.length > 0) {
      args[0] = ctx;
      System.arraycopy(more, 0, args, 1, args.length - 1);
    }
    return ctx.with(() -> {
      Object result = c.call(args);
      // outputs are plain values; a GString is made text while the context (and forEach's item) is known
      return result instanceof groovy.lang.GString g ? g.toString() : result;
    });
  }

  /** The delegate of a closure at run time: the context first, then the script. */
  static final class Scope extends GroovyObjectSupport {
    private final DslContext ctx;
    private final Script script;

    Scope(DslContext ctx, Script script) {
      this.ctx = ctx;
      this.script = script;
    }

    @Override
    public Object getProperty(String name) {
      if (name.equals("ctx")) {
        return ctx;
      }
      try {
        return InvokerHelper.getProperty(ctx, name);
      } catch (MissingPropertyException e) {
        return script.getProperty(name);
      }
    }

    @Override
    public Object invokeMethod(String name, Object args) {
      try {
        return InvokerHelper.invokeMethod(ctx, name, args);
      } catch (MissingMethodException e) {
        if (!e.getMethod().equals(name)) {
          throw e;
        }
        return script.invokeMethod(name, args);
      }
    }
  }
}
