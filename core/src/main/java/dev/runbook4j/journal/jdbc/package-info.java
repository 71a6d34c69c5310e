/**
 * The durable journal in a SQL database, SQLite or PostgreSQL: {@link
 * dev.runbook4j.journal.jdbc.JdbcJournal} is the facade; its parts are the schema and its
 * migrations, group commit, the hash chain, runners and their leases, durable locks and parked runs,
 * each in a class of its own working through one session on the journal's connection.
 */
package dev.runbook4j.journal.jdbc;
