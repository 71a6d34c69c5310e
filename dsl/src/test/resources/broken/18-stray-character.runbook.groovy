runbook('stray') {
  step('a') { action { 1 }; readOnly() } `
}
// expect: 2:42: syntax error: Unexpected character: '`'
