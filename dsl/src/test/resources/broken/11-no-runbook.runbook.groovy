def x = 1
// expect: 1:1: the script defines no runbook; start it with runbook('name') { ... }
