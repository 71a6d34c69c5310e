runbook('undo') {
  step('migrate') {
    action { ctx -> db.migrate() }
  }
}
// expect: 2:3: step 'migrate' must declare how it is undone: compensate { ctx, out -> ... }, readOnly() or irreversible()
