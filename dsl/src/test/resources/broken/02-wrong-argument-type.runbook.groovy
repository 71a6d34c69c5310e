runbook('types') {
  gate('approval') {
    approval { approvers 'alice', 'bob'; minApprovals 'two' }
  }
}
// expect: 3:42: 'minApprovals' cannot take (String); write it like minApprovals 2
