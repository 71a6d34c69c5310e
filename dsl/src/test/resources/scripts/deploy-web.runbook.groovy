// Every form of the DSL, as the issue writes them.
def effects = []

runbook('deploy-web') {
  description 'Deploys the web tier in waves'
  parameters {
    string 'version', required: true, pattern: /\d+\.\d+\.\d+/
    integer 'percent', defaultValue: 10, min: 1, max: 100
    bool 'dryRun'
    choice 'env', values: ['staging', 'prod'], defaultValue: 'staging'
    duration 'bake', defaultValue: '10m'
    secret 'token'
  }
  lock { "web-${params.env}" }
  watch('healthy') { check { ctx -> true }; every '1m' }
  step('a') {
    action { ctx -> "built ${params.version} with ${ctx.idempotencyKey}" }
    compensate { ctx -> }
    retry maxAttempts: 3, backoff: '1s', maxDelay: '30s'
    timeout '5m'
  }
  gate('ok') { check { ctx -> true } }
  gate('approval') { approval { approvers 'alice', 'bob', 'carol'; minApprovals 2; timeout '4h' } }
  wait('pause', '6s')
  waitUntil('ready', every: '1s', timeout: '30s') { ctx -> true }
  bake('soak', 10.minutes)
  group('wave-1') {
    step('b') {
      action { ctx -> ctx.output('a') + ' then b' }
      readOnly()
    }
  }
  parallel {
    branch('x') { step('x1') { action { 'x' }; compensate { ctx, out -> } } }
    branch('y') { step('y1') { action { 'y' }; irreversible() } }
  }
  forEach('hosts', items: ['h1', 'h2'], maxConcurrency: 1, maxErrors: 0) { item ->
    step('deploy-host') {
      action { ctx -> "deployed ${item} as ${params.percent}%" }
      compensate { ctx -> }
    }
  }
}
