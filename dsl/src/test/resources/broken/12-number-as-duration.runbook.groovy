runbook('number') {
  wait('pause', 5)
}
// expect: 2:17: wait 'pause': 5 is not a duration; write it like '90s', '10m', '1h30m' or 5.minutes
