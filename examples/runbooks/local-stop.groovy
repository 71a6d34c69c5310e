// Stops everything local-release.groovy started (the front proxy and every release) and removes
// its directory:  ./runbook4j run examples/runbooks/local-stop.groovy
import java.nio.file.Files
import java.nio.file.Path

runbook('local-stop') {
  description 'Stops the front proxy and every local release, and removes .runbook4j/local-release'
  parameters {
    string 'root', defaultValue: '.runbook4j/local-release'
  }
  lock 'local-release'
  step('stop-everything') {
    action { ctx ->
      Path root = Path.of(params.root)
      List<String> stopped = []
      List<Path> pidFiles = [root.resolve('proxy.pid')]
      root.resolve('releases').toFile().listFiles()?.each { pidFiles << it.toPath().resolve('pid') }
      pidFiles.each { Path pidFile ->
        if (Files.exists(pidFile)) {
          long pid = Files.readString(pidFile).trim() as long
          String rootId = root.toAbsolutePath().normalize().toString()
          ProcessHandle.of(pid).filter { h ->
            // only this checkout's processes: each names its root in its arguments (a reused pid is left alone)
            h.info().arguments().map { a -> (a as List<String>).any { it == rootId } }
                .orElse(true)
          }.ifPresent { h ->
            h.destroy()
            h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS)
            stopped << "${pidFile.parent.fileName}/${pidFile.fileName} (${pid})".toString()
          }
        }
      }
      root.toFile().deleteDir()
      println "  stopped ${stopped ?: 'nothing (nothing was running)'}; removed ${root}"
      stopped.size()
    }
    irreversible()
  }
}
