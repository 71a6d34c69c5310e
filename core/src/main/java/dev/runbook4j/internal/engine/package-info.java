/** Many runs: the engine's facade, where each run is, parking, the heartbeat, rebuilds from the journal and handles. */
package dev.runbook4j.internal.engine;
