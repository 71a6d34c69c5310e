runbook('regex') {
  parameters {
    string 'version', pattern: /[0-9/
  }
  step('a') { action { 'a' }; readOnly() }
}
// expect: 3:32: pattern /[0-9/ is not a valid regular expression: Unclosed character class
