runbook('durations') {
  step('a') { action { 'a' }; readOnly(); timeout '10x' }
}
// expect: 2:51: timeout: '10x' is not a duration; write it like 90s, 10m, 1h30m, 2d or 250ms
