// (announce comes from the test extension, AnnounceExtension, on the test class path)
runbook('nodes') {
  stpe('a') { action { 'a' }; readOnly() }
}
// expect: 3:3: unknown keyword 'stpe' in runbook 'nodes' (did you mean 'step'?); expected one of: announce, bake, beforeRollback, choose, compatibleWith, defaults, description, forEach, gate, group, invariant, lock, notify, on, parallel, parameters, step, succeed, testReset, timeout, validate, wait, waitUntil, watch
