runbook('choice') {
  parameters {
    choice 'env', values: ['staging', 'prod'], defaultValue: 'qa'
  }
  step('a') { action { 'a' }; readOnly() }
}
// expect: 3:62: choice 'env': defaultValue 'qa' is not one of [staging, prod]
