package dev.runbook4j.dsl;

import org.apiguardian.api.API;

/**
 * One problem of a runbook script, where it is: {@code path:line:column: message}.
 *
 * @param file the script's path or name
 * @param line the line, from 1 (0 when the problem has no place in the script)
 * @param column the column, from 1 (0 when unknown)
 * @param message what is wrong and, where it helps, what would be right
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record ScriptProblem(String file, int line, int column, String message) implements Comparable<ScriptProblem> {
  @Override
  public String toString() {
    return file + (line > 0 ? ":" + line + (column > 0 ? ":" + column : "") : "") + ": " + message;
  }

  @Override
  public int compareTo(ScriptProblem o) {
    int c = Integer.compare(line, o.line);
    return c != 0 ? c : Integer.compare(column, o.column);
  }
}
