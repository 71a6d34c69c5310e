// In the spirit of the SSM Automation document AWS-PatchInstanceWithRollback: look at the instance,
// branch on its state (gone: end early; stopped: start it first; running: go on), snapshot it, take it
// out of its target group when asked to, patch it, check it is healthy, and on any failure restore it
// from the snapshot — after a person confirms, because a restore loses what was written since.
// The script's `ec2` is given by its caller (a fake in PatchInstanceTests; an AWS SDK client in production).
runbook('patch-instance') {
  description 'Patch one instance; restore it from its snapshot when the patch goes bad'
  parameters {
    string 'instanceId', required: true, pattern: 'i-[0-9a-f]+'
    choice 'baseline', values: ['security', 'all'], defaultValue: 'security'
    bool 'drain', defaultValue: true
  }
  lock { "instance/${params.instanceId}" }

  // tag::messages[]
  on('started', channel: 'ops') { "patching ${params.instanceId} (${params.baseline})" }
  on('rolledBack', channel: 'ops') { "the patch of ${params.instanceId} was rolled back" }
  on('rollbackFailed', channel: 'oncall') { "the patch of ${params.instanceId} could not be undone: look at it now" }
  // end::messages[]

  // tag::before-rollback[]
  beforeRollback('confirm-restore') {
    description 'a restore loses what was written since the snapshot: a person confirms it'
    approval { approvers 'oncall-lead', 'sre'; timeout '30m' }
    onFailure 'rollback'   // nobody answers within 30 minutes: restore anyway
  }
  // end::before-rollback[]

  // tag::branches[]
  step('describe') { action { ec2.state(params.instanceId) }; readOnly() }
  choose('by-state') {
    when('terminated', { output('describe') == 'terminated' }) { succeed 'the instance is gone: nothing to patch' }
    when('stopped', { output('describe') == 'stopped' }) {
      step('start') { action { ec2.start(params.instanceId) }; compensate { ec2.stop(params.instanceId) } }
      waitUntil('running', every: '15s', timeout: '5m') { ec2.state(params.instanceId) == 'running' }
    }
    otherwise { }
  }
  step('snapshot') {
    // tagged with the step's idempotency key: a snapshot whose call timed out (no output) is found and deleted too
    action { ctx -> ec2.snapshot(params.instanceId, ctx.idempotencyKey) }
    compensate { ctx, snap -> ec2.deleteSnapshotsTagged(ctx.idempotencyKey) }
  }
  group('drain') {
    when { params.drain }
    step('deregister') { action { ec2.deregister(params.instanceId) }; compensate { ec2.register(params.instanceId) } }
  }
  // end::branches[]
  // tag::stop[]
  step('patch') {
    action { ec2.patch(params.instanceId, params.baseline) }
    // a restore that fails stops the rollback: what was started before stays for a person to look at
    compensate(timeout: '20m', onFailure: 'stop') { ctx, out -> ec2.restore(params.instanceId, output('snapshot')) }
    retry maxAttempts: 2, backoff: '1m'
  }
  // end::stop[]
  gate('healthy') { check { ec2.healthy(params.instanceId) }; every '30s'; timeout '10m' }
  group('return') {
    when { params.drain }
    step('register') { action { ec2.register(params.instanceId) }; compensate { ec2.deregister(params.instanceId) } }
  }
  notify('done', channel: 'ops') { "patched ${params.instanceId}: ${output('patch')}" }
}
