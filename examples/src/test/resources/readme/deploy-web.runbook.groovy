// The guide's tour of the DSL ("Runbooks as Groovy scripts"), a real script: GuideSnippetsTests runs it.
// tag::deploy-web[]
runbook('deploy-web') {
  description 'Deploys the web tier in waves'
  parameters {
    string 'version', required: true, pattern: /\d+\.\d+\.\d+/
    integer 'percent', defaultValue: 10, min: 1, max: 100
    bool 'dryRun'
    choice 'env', values: ['staging', 'prod']
    duration 'bake', defaultValue: '10m'
    secret 'token'
  }
  lock { "web-${params.env}" }                      // or lock 'web-prod', policy: 'latest-wins'
  watch('healthy') { check { ctx -> alarms.ok('web-5xx') }; every '1m' }
  step('publish') {
    action { ctx -> registry.publish(params.version, ctx.idempotencyKey) }   // its value is the output
    compensate { ctx, out -> registry.unpublish(out) }                      // or readOnly() / irreversible()
    retry maxAttempts: 3, backoff: '1s', maxDelay: '30s'
    timeout '5m'
  }
  gate('approval') { approval { approvers 'alice', 'bob', 'carol'; minApprovals 2; timeout '4h' } }
  wait('settle', '6s')
  waitUntil('ready', every: '1s', timeout: '30s') { ctx -> lb.healthy(ctx.output('publish')) }
  bake('soak', 10.minutes)
  group('wave-1') { step('shift') { action { router.shift('all', params.percent) }; compensate { router.shift('all', 0) } } }
  parallel {
    branch('eu') { step('shift-eu') { action { router.shift('eu', 100) }; compensate { router.shift('eu', 0) } } }
    branch('us') { step('shift-us') { action { router.shift('us', 100) }; compensate { router.shift('us', 0) } } }
  }
  forEach('hosts', items: ['h1', 'h2'], maxConcurrency: 1, maxErrors: 0) { item ->
    step('restart') { action { ctx -> hosts.restart(item) }; compensate { ctx -> } }
  }
}
// end::deploy-web[]
