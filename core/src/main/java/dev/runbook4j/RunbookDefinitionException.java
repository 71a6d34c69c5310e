package dev.runbook4j;

import java.util.List;
import org.apiguardian.api.API;

/**
 * A runbook, step, gate or parameter value is invalid. Thrown before anything runs, and lists
 * every problem found, not only the first.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public class RunbookDefinitionException extends RunbookException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public RunbookDefinitionException(String subject, List<String> problems) {
    super(Messages.definitionProblems(subject, problems));
    this.problems = List.copyOf(problems);
  }

  /** Every problem found, one sentence each, in definition order; never empty. */
  public List<String> problems() {
    return problems;
  }
}
