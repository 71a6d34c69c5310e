runbook('options') {
  step('a') {
    action { 'a' }
    readOnly()
    retry maxAttempt: 3, backoff: '1s'
  }
}
// expect: 5:23: retry: unknown option 'maxAttempt' (did you mean 'maxAttempts'?); use backoff, jitter, maxAttempts, maxDelay, multiplier, retryIf, retryOn
