/** One run: its ledger (the only place its state changes), the rooms that interpret its nodes, and the one path into user code. */
package dev.runbook4j.internal.run;
