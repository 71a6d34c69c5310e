package dev.runbook4j.dsl;

import dev.runbook4j.Runbook;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;
import groovy.lang.Script;
import org.apiguardian.api.API;

/**
 * The base class of runbook scripts: a script calls {@code runbook('name') { ... }} once. Scripts
 * are trusted code from version control, like a Jenkinsfile: there is no sandbox.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public abstract class RunbookScript extends Script {
  RunbookDsl defined;

  /** Defines the script's runbook. */
  public void runbook(String name, @DelegatesTo(value = RunbookDsl.class, strategy = Closure.DELEGATE_ONLY) Closure<?> body) {
    if (defined != null) {
      throw new IllegalArgumentException("runbook is defined twice; a script defines one runbook");
    }
    RunbookDsl dsl = new RunbookDsl(this, Runbook.builder(name, ScriptParams.class));
    Dsl.configure(body, dsl);
    defined = dsl;
  }
}
