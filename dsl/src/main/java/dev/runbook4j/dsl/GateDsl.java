package dev.runbook4j.dsl;

import dev.runbook4j.Gate;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;
import groovy.lang.Script;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The keywords inside {@code gate('name') { }}; each calls one method of {@link Gate.Builder}.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class GateDsl {
  private final Script script;
  private final Gate.Builder<ScriptParams> gate;

  GateDsl(Script script, Gate.Builder<ScriptParams> gate) {
    this.script = script;
    this.gate = gate;
  }

  /** {@code check { ctx -> true }}: true passes, false checks again later; or return a GateDecision. */
  public void check(Closure<?> check) {
    gate.check(ctx -> NodesDsl.decision(Dsl.call(check, script, new DslContext(ctx))));
  }

  /** {@code approval { approvers 'alice', 'bob'; minApprovals 2; timeout '4h' }} */
  public void approval(@DelegatesTo(value = ApprovalDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    gate.approval(b -> Dsl.configure(body, new ApprovalDsl(b)));
  }

  /** How long to wait between checks (default 1 minute). */
  public void every(Object every) {
    gate.every(Dsl.duration(every, "gate every"));
  }

  /** When a check that keeps answering "not yet" rejects the gate. */
  public void timeout(Object timeout) {
    gate.timeout(Dsl.duration(timeout, "gate timeout"));
  }

  /** {@code onFailure 'continue'}: 'rollback' (default), 'continue' or 'abort'. */
  public void onFailure(Object onFailure) {
    gate.onFailure(Dsl.onFailure(onFailure));
  }

  /** A line shown in the plan. */
  public void description(String text) {
    gate.description(text);
  }

  /** {@code when { params.canary }}: the gate runs only when this holds (asked when the run reaches it). */
  public void when(Closure<?> condition) {
    when(Map.of(), condition);
  }

  /** {@code when('a canary run') { params.canary }}: {@link #when(Closure)}, described in the plan by its text. */
  public void when(String description, Closure<?> condition) {
    gate.when(description, Dsl.condition(condition, script));
  }

  /** {@code when(text: 'params.canary') { ... }}: the loader's form of {@link #when(Closure)}, with its source. */
  public void when(Map<String, Object> options, Closure<?> condition) {
    gate.when(Dsl.conditionText(options), Dsl.condition(condition, script));
  }
}
