/** Journal implementations: {@link dev.runbook4j.journal.InMemoryJournal} today. */
package dev.runbook4j.journal;
