// A release of files under params.dir: every change writes a file, every undo removes it.
runbook('files') {
  parameters {
    string 'dir', required: true
  }
  invariant('no file is left after a rollback', when: 'rolledBack') { params -> new File(params.dir).list().length == 0 }
  invariant('every file is written', when: 'succeeded') { params -> new File(params.dir).list().length == 5 }
  watch('alarm') { check { ctx -> !new File(params.dir, 'alarm').exists() }; every '5m' }
  step('stage') {
    action { ctx -> new File(params.dir, 'stage').text = 'v2'; 'stage' }
    compensate { ctx, out -> new File(params.dir, 'stage').delete() }
  }
  gate('staged') { check { ctx -> new File(params.dir, 'stage').exists() } }
  parallel('regions') {
    branch('eu') {
      step('write-eu') {
        action { ctx -> new File(params.dir, 'eu').text = 'v2' }
        compensate { ctx, out -> new File(params.dir, 'eu').delete() }
      }
    }
    branch('us') {
      step('write-us') {
        action { ctx -> new File(params.dir, 'us').text = 'v2' }
        compensate { ctx, out -> new File(params.dir, 'us').delete() }
      }
    }
  }
  forEach('hosts', items: ['h1', 'h2'], maxConcurrency: 1, maxErrors: 0) { item ->
    step('host') {
      action { ctx -> new File(params.dir, item.toString()).text = 'v2' }
      compensate { ctx, out -> new File(params.dir, item.toString()).delete() }
    }
  }
  bake('soak', 30.minutes)
  step('notify') {
    action { ctx -> 'sent' }
    readOnly()
  }
}
