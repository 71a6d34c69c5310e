runbook('dupes') {
  step('deploy') { action { 'a' }; readOnly() }
  group('wave') {
    step('deploy') { action { 'b' }; readOnly() }
  }
}
// expect: 4:10: name 'deploy' is used twice (first at line 2); names must be unique within a runbook
