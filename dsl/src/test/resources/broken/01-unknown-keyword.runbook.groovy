runbook('typo') {
  step('a') {
    actoin { ctx -> 'x' }
    action { ctx -> 'x' }
    readOnly()
  }
}
// expect: 3:5: unknown keyword 'actoin' in step 'a' (did you mean 'action'?); expected one of: action, circuitBreaker, compensate, description, irreversible, onFailure, policy, readOnly, reconcile, retry, timeout, when
