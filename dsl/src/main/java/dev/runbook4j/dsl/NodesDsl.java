package dev.runbook4j.dsl;

import dev.runbook4j.GateDecision;
import dev.runbook4j.Health;
import dev.runbook4j.Nodes;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;
import groovy.lang.Script;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The keywords that add nodes, in a runbook, a group, a parallel branch or a forEach body. Each
 * calls one method of {@link Nodes}.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public abstract class NodesDsl extends groovy.lang.GroovyObjectSupport {
  final Script script;
  private final Nodes<ScriptParams, ?> nodes;
  private int parallels;
  private int chooses;

  NodesDsl(Script script, Nodes<ScriptParams, ?> nodes) {
    this.script = script;
    this.nodes = nodes;
  }

  /** The keyword extensions on the class path, found once. */
  static final List<DslExtension> EXTENSIONS = List.copyOf(
      java.util.ServiceLoader.load(DslExtension.class, NodesDsl.class.getClassLoader()).stream()
          .map(java.util.ServiceLoader.Provider::get).toList());

  private List<Object> extensionKeywords;

  /** A keyword no class of the DSL has: an extension's, if one has it. */
  public Object methodMissing(String name, Object args) {
    Object[] a = args instanceof Object[] arr ? arr : new Object[] {args};
    if (extensionKeywords == null) {
      extensionKeywords = new ArrayList<>();
      for (DslExtension e : EXTENSIONS) {
        extensionKeywords.add(e.create(this));
      }
    }
    for (Object k : extensionKeywords) {
      if (!org.codehaus.groovy.runtime.InvokerHelper.getMetaClass(k).respondsTo(k, name, a).isEmpty()) {
        return org.codehaus.groovy.runtime.InvokerHelper.invokeMethod(k, name, a);
      }
    }
    throw new groovy.lang.MissingMethodException(name, getClass(), a);
  }

  /** {@code step('name') { action { ctx -> ... }; compensate { ctx, out -> ... } }} */
  public void step(String name, @DelegatesTo(value = StepDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    nodes.step(name, b -> {
      StepDsl s = new StepDsl(script, b);
      Dsl.configure(body, s);
    });
  }

  /**
   * {@code notify('announce', channel: 'chat') { ctx -> "cutting over ${params.version}" }}: a step that
   * sends the message (its output is the text sent); one that does not get through is recorded and the
   * run goes on, unless {@code onFailure: 'rollback'} (or 'abort') says otherwise.
   */
  public void notify(Map<String, Object> options, String name, Closure<?> message) {
    Object channel = options.get("channel");
    if (!(channel instanceof CharSequence)) {
      throw new IllegalArgumentException("notify '" + name + "': channel: names the notifier to send to, a string;"
          + " was " + Dsl.describe(channel));
    }
    Object onFailure = options.get("onFailure");
    nodes.notify(name, channel.toString(), ctx -> String.valueOf(Dsl.call(message, script, new DslContext(ctx))),
        s -> {
          if (onFailure != null) {
            s.onFailure(Dsl.onFailure(onFailure));
          }
        });
  }

  /** {@code gate('name') { check { ctx -> true } }} or {@code gate('name') { approval { ... } }} */
  public void gate(String name, @DelegatesTo(value = GateDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    nodes.gate(name, b -> Dsl.configure(body, new GateDsl(script, b)));
  }

  /** {@code wait('name', '6s')}: a plain pause. */
  public void wait(String name, Object duration) {
    wait(Map.of(), name, duration);
  }

  /** {@code wait('name', '6s', when: { params.soak })}: a pause that runs only when its condition holds. */
  public void wait(Map<String, Object> options, String name, Object duration) {
    if (duration instanceof Closure<?> c) {
      nodes.sleep(name, durationText(options), value(c, "wait '" + name + "'"), w -> waitOptions(options, w));
      return;
    }
    nodes.sleep(name, Dsl.duration(duration, "wait '" + name + "'"), w -> waitOptions(options, w));
  }

  /** A duration taken from the run: {@code { params.soak }}, resolved when the wait is reached. */
  private dev.runbook4j.ValueFunction<ScriptParams, Duration> value(Closure<?> c, String what) {
    return ctx -> {
      Object v = Dsl.call(c, script, new DslContext(ctx));
      return v == null ? null : Dsl.duration(v, what);
    };
  }

  /** What the plan says of a duration in braces: its source, which the loader adds as {@code durationText:}. */
  private static String durationText(Map<String, Object> options) {
    Object t = options.get("durationText");
    return t == null ? "a value" : String.valueOf(t);
  }

  /** The options waits share: {@code when: { ... }} (with {@code whenText:}, its source, from the loader). */
  private void waitOptions(Map<String, Object> options, dev.runbook4j.Wait.Options<ScriptParams> w) {
    Object skippable = options.get("skippableBy");
    if (skippable != null) {
      List<String> who = new ArrayList<>();
      for (Object u : skippable instanceof Collection<?> c ? c : List.of(skippable)) {
        who.add(String.valueOf(u));
      }
      w.skippableBy(a -> a.approvers(who.toArray(String[]::new)));
    }
    Object when = options.get("when");
    if (when instanceof Closure<?> c) {
      Object text = options.get("whenText");
      w.when(text == null ? "a condition" : String.valueOf(text), Dsl.condition(c, script));
    } else if (when != null) {
      throw new IllegalArgumentException("when: takes a condition in braces, { params.x }, not " + Dsl.describe(when));
    }
  }

  /** {@code waitUntil('name', every: '1s', timeout: '30s') { ctx -> condition }} */
  public void waitUntil(Map<String, Object> options, String name, Closure<?> condition) {
    Duration every = Dsl.duration(options.getOrDefault("every", "10s"), "waitUntil '" + name + "' every");
    Duration timeout = Dsl.duration(options.get("timeout"), "waitUntil '" + name + "' timeout");
    nodes.waitUntil(name, every, timeout, ctx -> truthy(Dsl.call(condition, script, new DslContext(ctx))),
        w -> waitOptions(options, w));
  }

  /** {@code bake('name', '10m')}: waits while the watches in scope are checked. */
  public void bake(String name, Object duration) {
    bake(Map.of(), name, duration);
  }

  /** {@code bake('name', '10m', when: { params.canary })}: a bake that runs only when its condition holds. */
  public void bake(Map<String, Object> options, String name, Object duration) {
    if (duration instanceof Closure<?> c) {
      nodes.bake(name, durationText(options), value(c, "bake '" + name + "'"), w -> waitOptions(options, w));
      return;
    }
    nodes.bake(name, Dsl.duration(duration, "bake '" + name + "'"), w -> waitOptions(options, w));
  }

  /**
   * {@code choose('route') { when('healthy', { cond }) { nodes }; otherwise { nodes } }}: the first
   * option whose condition holds runs (see {@link ChooseDsl}).
   */
  public void choose(String name, @DelegatesTo(value = ChooseDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    nodes.choose(name, o -> Dsl.configure(body, new ChooseDsl(script, o)));
  }

  /** {@code choose { ... }}, named {@code choose-1}, {@code choose-2}... by its place. */
  public void choose(@DelegatesTo(value = ChooseDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    choose("choose-" + (++chooses), body);
  }

  /** {@code succeed 'nothing to do'}: the run ends here, successfully; nothing after it runs. */
  public void succeed(String reason) {
    nodes.succeed(reason);
  }

  /** {@code group('name') { nodes }} */
  public void group(String name, @DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    nodes.group(name, b -> Dsl.configure(body, new BlockDsl(script, b)));
  }

  /** {@code parallel { branch('x') { ... }; branch('y') { ... } }}, named {@code parallel-1}, {@code parallel-2}... */
  public void parallel(@DelegatesTo(value = ParallelDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    parallel("parallel-" + (++parallels), body);
  }

  /** {@code parallel('name') { branch('x') { ... } }} */
  public void parallel(String name,
      @DelegatesTo(value = ParallelDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    parallel(Map.of(), name, body);
  }

  /**
   * {@code parallel('name', failFast: false) { ... }}: when a branch fails, the others go on to
   * their end before the failure rolls the run back.
   */
  public void parallel(Map<String, Object> options, String name,
      @DelegatesTo(value = ParallelDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    Object failFast = options.getOrDefault("failFast", Boolean.TRUE);
    if (!(failFast instanceof Boolean ff)) {
      throw new IllegalArgumentException("parallel '" + name + "': failFast must be true or false, was "
          + Dsl.describe(failFast));
    }
    nodes.parallel(name, b -> Dsl.configure(body, new ParallelDsl(script, b.failFast(ff))));
  }

  /**
   * {@code forEach('hosts', items: ['h1', 'h2'], maxConcurrency: 1, maxErrors: 0) { item -> nodes }};
   * {@code items} may be a closure of the parameters: {@code items: { params.hosts.split(',') as List }}.
   * {@code item} stands for the current item when the steps run.
   */
  public void forEach(Map<String, Object> options, String name,
      @DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    Object items = options.get("items");
    int maxConcurrency = intOption(options, "maxConcurrency", 1, name);
    int maxErrors = intOption(options, "maxErrors", 0, name);
    if (items == null) {
      throw new IllegalArgumentException("forEach '" + name + "' needs items: a list, or a closure of the parameters");
    }
    nodes.forEach(name, params -> items(items, params, name), maxConcurrency, maxErrors,
        b -> Dsl.configure(body, new BlockDsl(script, b), new ItemRef()));
  }

  private List<Object> items(Object items, ScriptParams params, String name) {
    Object v = items;
    if (items instanceof Closure<?> c) {
      Closure<?> copy = (Closure<?>) c.clone();
      copy.setDelegate(new ParamsScope(params));
      copy.setResolveStrategy(Closure.DELEGATE_FIRST);
      v = copy.getMaximumNumberOfParameters() == 0 ? copy.call() : copy.call(params);
    }
    if (v instanceof Collection<?> coll) {
      return new ArrayList<>(coll);
    }
    if (v instanceof Object[] arr) {
      return List.of(arr);
    }
    throw new IllegalArgumentException("forEach '" + name + "': items gave " + Dsl.describe(v) + ", not a list");
  }

  private static int intOption(Map<String, Object> options, String key, int dflt, String name) {
    Object v = options.getOrDefault(key, dflt);
    if (v instanceof Integer i) {
      return i;
    }
    throw new IllegalArgumentException("forEach '" + name + "': " + key + " must be an integer, was " + Dsl.describe(v));
  }

  /** {@code watch('name') { check { ctx -> true }; every '1m' }}: checked between steps and during bakes. */
  public void watch(String name, @DelegatesTo(value = WatchDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    WatchDsl w = new WatchDsl();
    Dsl.configure(body, w);
    if (w.check == null) {
      throw new IllegalArgumentException("watch '" + name + "' has no check { ctx -> ... }");
    }
    Closure<?> check = w.check;
    nodes.watch(name, w.every, ctx -> health(Dsl.call(check, script, new DslContext(ctx)), name));
  }

  static boolean truthy(Object v) {
    return org.codehaus.groovy.runtime.typehandling.DefaultTypeTransformation.castToBoolean(v);
  }

  static GateDecision decision(Object v) {
    if (v instanceof GateDecision d) {
      return d;
    }
    return truthy(v) ? GateDecision.pass() : GateDecision.recheck("its check answered " + v);
  }

  static Health health(Object v, String watch) {
    if (v instanceof Health h) {
      return h;
    }
    return truthy(v) ? Health.healthy() : Health.breached("watch '" + watch + "' answered " + v);
  }

  /** Closures of the parameters alone (lock keys, forEach items): {@code params.x} reads. */
  static final class ParamsScope extends groovy.lang.GroovyObjectSupport {
    private final ScriptParams params;

    ParamsScope(ScriptParams params) {
      this.params = params;
    }

    @Override
    public Object getProperty(String name) {
      return name.equals("params") ? params : params.get(name);
    }
  }
}
