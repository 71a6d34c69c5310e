runbook('bake') {
  step('a') { action { 'a' }; readOnly() }
  bake('soak', '10m')
}
// expect: 3:3: bake 'soak' has no watch in scope, so nothing is observed; add a watch or use sleep
