runbook('range') {
  parameters {
    integer 'percent', defaultValue: 150, min: 1, max: 100
  }
  step('a') { action { 'a' }; readOnly() }
}
// expect: 3:38: integer 'percent': defaultValue 150 is outside [1, 100]
