runbook('no-action') {
  step('a') { readOnly() }
}
// expect: 2:3: step 'a' has no action { ctx -> ... }
