runbook('syntax') {
  step('a') {
    action { ctx -> 'a'
  }
}
// expect: 7:1: syntax error: the script ends inside a block; a '}' is missing
