/**
 * Journal implementations: {@link dev.runbook4j.journal.InMemoryJournal}, the durable
 * {@link dev.runbook4j.journal.jdbc.JdbcJournal} (SQLite, PostgreSQL; its own package), and
 * {@link dev.runbook4j.journal.FaultInjectingJournal} for tests.
 */
package dev.runbook4j.journal;
