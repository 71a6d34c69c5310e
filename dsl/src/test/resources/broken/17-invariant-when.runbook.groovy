// An invariant whose 'when' is not one of its values.
// expect: 5:3: invariant 'tidy': when 'rolledback' is not one of 'rolledBack', 'succeeded', 'always'
runbook('tidy') {
  step('a') { action { 1 }; readOnly() }
  invariant('tidy', when: 'rolledback') { params -> true }
}
