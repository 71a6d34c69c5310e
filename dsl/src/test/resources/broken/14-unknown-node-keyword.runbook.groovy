runbook('nodes') {
  stpe('a') { action { 'a' }; readOnly() }
}
// expect: 2:3: unknown keyword 'stpe' in runbook 'nodes' (did you mean 'step'?); expected one of: bake, compatibleWith, description, forEach, gate, group, lock, parallel, parameters, step, validate, wait, waitUntil, watch
