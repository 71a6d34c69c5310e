/**
 * The engine, in two packages: {@code internal.run} (one run: its ledger, its rooms, the one path
 * into user code) and {@code internal.engine} (many runs: registry, parking, heartbeat, rebuilds,
 * decisions on runs held elsewhere, handles). {@code internal.run} does not depend on
 * {@code internal.engine}: a run reaches its engine through {@code RunHost} alone. Nothing outside
 * {@code internal} depends on it but the factory in {@code dev.runbook4j.defaults}; ArchUnit checks.
 */
package dev.runbook4j.internal;
