/**
 * Runbook4j's public API: typed runbooks of steps, gates, waits and compensations, and the
 * {@link dev.runbook4j.RunbookEngine} that runs them.
 *
 * <p>Start with {@link dev.runbook4j.Runbook#builder(String, Class)} and
 * {@link dev.runbook4j.RunbookEngine#builder()}. The rollback rules are in one table on
 * {@link dev.runbook4j.RunbookEngine}; the run states on {@link dev.runbook4j.RunState}.
 */
package dev.runbook4j;
