// The guide's script with an invariant and a testReset block ("runbook4j test"): GuideSnippetsTests explores it.
// tag::files[]
runbook('files') {
  parameters { string 'dir', required: true }
  invariant('no file is left after a rollback', when: 'rolledBack') { params -> new File(params.dir).list().length == 0 }
  testReset { params -> new File(params.dir).listFiles().each { it.delete() } }
  step('write') {
    action { new File(params.dir, 'release.txt').text = 'v2'; 'release.txt' }
    compensate { new File(params.dir, 'release.txt').delete() }
  }
  step('check') { action { new File(params.dir, 'release.txt').text == 'v2' }; readOnly() }
}
// end::files[]
