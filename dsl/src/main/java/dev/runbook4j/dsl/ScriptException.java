package dev.runbook4j.dsl;

import dev.runbook4j.RunbookDefinitionException;
import java.util.List;
import org.apiguardian.api.API;

/**
 * A runbook script that does not load: every problem found, each with its place.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public class ScriptException extends RunbookDefinitionException {
  private static final long serialVersionUID = 1L;

  private final transient List<ScriptProblem> scriptProblems;

  public ScriptException(String file, List<ScriptProblem> problems) {
    super("Script " + file, problems.stream().sorted().map(ScriptProblem::toString).toList());
    this.scriptProblems = problems.stream().sorted().toList();
  }

  /** Problems found while the script ran, with the error that stopped it (kept as the cause). */
  public ScriptException(String file, List<ScriptProblem> problems, Throwable cause) {
    this(file, problems);
    initCause(cause);
  }

  /** The problems, in the order of the script. */
  public List<ScriptProblem> scriptProblems() {
    return scriptProblems;
  }
}
