// A release that needs two approvals: try it with the command line.
//   ./runbook4j run examples/scripts/approve-release.runbook.groovy -p version=1.4.2 --as dave
//   (in another shell) ./runbook4j approve RUN_ID approval --as alice ; ./runbook4j approve RUN_ID approval --as bob
runbook('approve-release') {
  description 'Stages a version, waits for two approvals, ships it'
  parameters {
    string 'version', required: true, pattern: /\d+\.\d+\.\d+/
    duration 'settle', defaultValue: '2s'
  }
  lock 'web-prod'
  step('stage') {
    action { ctx -> "staged ${params.version}" }
    compensate { ctx, out -> println "unstaged ${params.version}" }
  }
  gate('approval') { approval { approvers 'alice', 'bob', 'carol'; minApprovals 2; timeout '4h' } }
  step('ship') {
    action { ctx -> "shipped ${params.version}" }
    compensate { ctx, out -> println "unshipped ${params.version}" }
    retry maxAttempts: 3, backoff: '1s'
  }
  wait('settle', '2s')
}
