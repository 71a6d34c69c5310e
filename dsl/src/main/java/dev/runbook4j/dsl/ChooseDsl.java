package dev.runbook4j.dsl;

import dev.runbook4j.Choice;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;
import groovy.lang.Script;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The keywords inside {@code choose('name') { }}: its options, asked in order; the first whose
 * condition holds runs, else {@code otherwise}.
 *
 * <pre>{@code
 * choose('route') {
 *   when('healthy', { output('probe') == 'ok' }) { succeed 'the fleet is healthy' }
 *   when({ output('probe') == 'slow' }) { step('restart') { ... } }
 *   otherwise { step('replace') { ... } }
 * }
 * }</pre>
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public final class ChooseDsl {
  private final Script script;
  private final Choice.Options<ScriptParams> options;
  private int unnamed;

  ChooseDsl(Script script, Choice.Options<ScriptParams> options) {
    this.script = script;
    this.options = options;
  }

  /** {@code when('healthy', { condition }) { nodes }}: the option named {@code healthy}. */
  public void when(String name, Closure<?> condition,
      @DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    when(Map.of(), name, condition, body);
  }

  /** {@code when({ condition }) { nodes }}: an option named {@code when-1}, {@code when-2}... by its place. */
  public void when(Closure<?> condition,
      @DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    when(Map.of(), condition, body);
  }

  /** The loader's form of {@link #when(Closure, Closure)}: {@code text} is the condition's source. */
  public void when(Map<String, Object> text, Closure<?> condition,
      @DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    when(text, "when-" + (unnamed + 1), condition, body);
  }

  /** The loader's form of {@link #when(String, Closure, Closure)}: {@code text} is the condition's source. */
  public void when(Map<String, Object> text, String name, Closure<?> condition,
      @DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    unnamed++;
    String description = text.containsKey("text") ? Dsl.conditionText(text) : name;
    options.when(name, description, Dsl.condition(condition, script),
        b -> Dsl.configure(body, new BlockDsl(script, b)));
  }

  /** {@code otherwise { nodes }}: taken when no option before it held. */
  public void otherwise(@DelegatesTo(value = BlockDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    options.otherwise(b -> Dsl.configure(body, new BlockDsl(script, b)));
  }

  /** A line shown in the plan. */
  public void description(String text) {
    options.description(text);
  }
}
