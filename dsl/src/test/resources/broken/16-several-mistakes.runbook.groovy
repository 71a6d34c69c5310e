runbook('many') {
  step('a') { action { 'a' } }
  step('a') { action { 'b' }; readOnly() }
  wait('pause', '1 minute')
  gate('g') { chek { true } }
}
// expect: 2:3: step 'a' must declare how it is undone: compensate { ctx, out -> ... }, readOnly() or irreversible()
// expect: 3:8: name 'a' is used twice (first at line 2); names must be unique within a runbook
// expect: 4:17: wait 'pause': '1 minute' is not a duration; write it like 90s, 10m, 1h30m, 2d or 250ms
// expect: 5:15: unknown keyword 'chek' in gate 'g' (did you mean 'check'?); expected one of: approval, check, description, every, onFailure, timeout, when
