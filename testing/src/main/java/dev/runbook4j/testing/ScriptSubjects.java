package dev.runbook4j.testing;

import dev.runbook4j.dsl.ScriptInvariant;
import dev.runbook4j.dsl.ScriptParams;
import dev.runbook4j.dsl.ScriptRunbook;
import org.apiguardian.api.API;

/**
 * Subjects from runbook scripts: the script's runbook with the invariants it declares
 * ({@code invariant('...', when: 'rolledBack') { ... }}). Needs {@code runbook4j-dsl} on the class
 * path.
 *
 * <pre>{@code
 * ScriptRunbook script = RunbookScripts.load(Path.of("release.runbook.groovy"));
 * FailureExplorer.of(() -> ScriptSubjects.of(script, script.params(Map.of("env", "test")))).explore().assertAllHold();
 * }</pre>
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ScriptSubjects {
  private ScriptSubjects() {}

  /**
   * The script's runbook with {@code params} and its invariants; runs the script's
   * {@code testReset { }} first, so an explorer calling this for each path starts each from a clean
   * environment; the subject is {@link Subject#oneAtATime() one at a time}, since the script's
   * actions run for real and another path's reset would pull the environment from under them.
   */
  public static Subject<ScriptParams> of(ScriptRunbook script, ScriptParams params) {
    script.testReset().accept(params);
    Subject<ScriptParams> s = Subject.of(script.runbook(), params).oneAtATime();
    for (ScriptInvariant i : script.invariants()) {
      switch (i.when()) {
        case "rolledBack" -> s.whenRolledBack(i.description(), () -> i.check().test(params));
        case "succeeded" -> s.whenSucceeded(i.description(), () -> i.check().test(params));
        default -> s.invariant(i.description(), run -> {
          if (!i.check().test(params)) {
            throw new AssertionError("it does not");
          }
        });
      }
    }
    return s;
  }
}
