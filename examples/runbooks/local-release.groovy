// A real release on this machine, no cloud account needed.
//
//   ./runbook4j run examples/runbooks/local-release.groovy                  # release the next version
//   ./runbook4j run examples/runbooks/local-release.groovy -p failAt=bake   # it goes bad during the bake: rollback
//   curl http://127.0.0.1:18080/                                             # what customers see
//   ./runbook4j status ; ./runbook4j history                                 # what happened
//   ./runbook4j run examples/runbooks/local-stop.groovy                     # stop everything
//
// Each version is an immutable directory under .runbook4j/local-release/releases/ holding a tiny
// HTTP service (a JDK HttpServer, one Java source file). The runbook starts the new version as its
// own process on a free loopback port, checks its health as a gate, makes sure a small front proxy
// runs on the fixed port 18080 (refusing another checkout's proxy there), switches traffic by atomically repointing the link `current` the
// proxy follows, bakes while a watch polls /health through the front port, then stops the previous
// version. On any failure it switches back and stops the new process.
//
// Everything it does to the machine goes through `machine` (the LocalMachine class below), so a
// test can load this script with a fake machine and explore every failure path on virtual time
// (examples/src/test/java/.../LocalReleaseExplorationTests.java).
import dev.runbook4j.GateDecision
import dev.runbook4j.Health
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption

def machine = binding.hasVariable('machine') ? binding.machine : new LocalMachine()

runbook('local-release') {
  description 'Releases the next version of a tiny HTTP service behind a front proxy on this machine'
  parameters {
    string 'version', description: 'the version to release (default: the next vN)'
    integer 'frontPort', defaultValue: 18080, min: 1024, max: 65535
    string 'root', defaultValue: '.runbook4j/local-release'
    choice 'failAt', values: ['none', 'start', 'health', 'switch', 'bake'], defaultValue: 'none'
  }
  lock 'local-release'

  step('prepare-release') {
    description 'an immutable directory for the new version, with its service and what it replaces'
    action { ctx ->
      // attempted again after a crash lost its answer: the release this run prepared is still there
      String again = machine.preparedBy(params.root, ctx.idempotencyKey)
      if (again) {
        return again
      }
      String version = params.version ?: machine.nextVersion(params.root)
      if (machine.exists(params.root, version)) {
        throw new IllegalStateException("release ${version} exists already; give another -p version=")
      }
      // the version is recorded first, so the undo knows it even if this step's answer is lost
      machine.prepare(params.root, version, machine.currentVersion(params.root), ctx.idempotencyKey)
      println "  release ${version} prepared"
      version
    }
    compensate { ctx, version ->
      machine.deleteRelease(params.root, version ?: machine.pending(params.root))
    }
  }

  step('start-new') {
    description 'the new version as its own process on a free loopback port'
    action { ctx ->
      String version = ctx.output('prepare-release')
      long failAfterMs = params.failAt == 'health' ? 0 : params.failAt == 'bake' ? 2000 : -1
      int port = machine.startService(params.root, version, failAfterMs)
      println "  ${version} starting on 127.0.0.1:${port}"
      if (params.failAt == 'start') {
        throw new IllegalStateException("the start of ${version} failed (-p failAt=start)")
      }
      port
    }
    compensate { ctx, port ->
      machine.stopService(params.root, machine.pending(params.root))
    }
  }

  gate('healthy') {
    description 'the new version answers /health with 200'
    check { ctx ->
      String version = ctx.output('prepare-release')
      def (status, body) = machine.get(ctx.output('start-new') as int, '/health')
      status == 200 ? GateDecision.pass() : GateDecision.recheck("${version} answers ${status ?: 'nothing yet'}")
    }
    every '1s'
    timeout '20s'
  }

  step('front-proxy') {
    description 'the front proxy on the fixed port, started if it is not running'
    action { ctx ->
      String owner = machine.proxyOwner(params.frontPort as int)
      if (owner == machine.rootId(params.root)) {
        return 'already running'
      }
      if (owner != null) {   // another checkout's proxy (or another program): this release does not go behind it
        throw new IllegalStateException("port ${params.frontPort} is held by ${owner.startsWith('/') ? "the front proxy of another checkout (${owner})" : owner}; this checkout's release would be served by it. Stop it there (runbook4j run examples/runbooks/local-stop.groovy in that checkout) or give -p frontPort=<a free port>".toString())
      }
      machine.startProxy(params.root, params.frontPort as int, ctx.output('prepare-release'))
      println "  front proxy started on 127.0.0.1:${params.frontPort}"
      'started'
    }
    compensate { ctx, out ->
      if (machine.proxyStartedBy(params.root) == machine.pending(params.root)) {
        machine.stopProxy(params.root)   // only the release that started it stops it
      }
    }
  }

  group('live') {
    watch('front-health') {
      check { ctx ->
        def (status, body) = machine.get(params.frontPort as int, '/health')
        if (status == 200 || machine.currentVersion(params.root) == null) {
          Health.healthy()     // healthy, or nothing is live yet
        } else {
          Health.breached("http://127.0.0.1:${params.frontPort}/health answers ${status}: ${body}".toString())
        }
      }
      every '1s'
    }
    step('switch-traffic') {
      description 'repoints current to the new release, atomically; the proxy follows it on the next request'
      action { ctx ->
        String version = ctx.output('prepare-release')
        machine.pointCurrent(params.root, version)
        println "  traffic on http://127.0.0.1:${params.frontPort}/ now goes to ${version}"
        if (params.failAt == 'switch') {
          throw new IllegalStateException("the switch to ${version} reported an error (-p failAt=switch)")
        }
        version
      }
      compensate { ctx, out ->
        String previous = machine.previousOf(params.root, machine.pending(params.root))
        machine.pointCurrent(params.root, previous)
        println "  traffic switched back to ${previous ?: 'nothing'}"
      }
    }
    bake('bake', '8s')
  }

  step('stop-previous') {
    description 'stops the version that served before: after this there is no way back'
    action { ctx ->
      String previous = machine.previousOf(params.root, ctx.output('prepare-release'))
      if (previous) {
        machine.stopService(params.root, previous)
        println "  ${previous} stopped"
      }
      previous ?: 'none'
    }
    irreversible()
    onFailure 'continue'
  }

  step('report') {
    action { ctx ->
      def (status, body) = machine.get(params.frontPort as int, '/')
      println "  ${ctx.output('prepare-release')} is live: http://127.0.0.1:${params.frontPort}/ answers ${status} \"${body}\""
      body
    }
    readOnly()
    onFailure 'continue'    // past the point of no return: a report that fails must not undo the release
  }

  // for `runbook4j test` and the exploration tests: what must hold, and a clean machine per path
  invariant('after a rollback, only the release current points at runs, and the proxy runs if it points anywhere',
      when: 'rolledBack') { p ->
    String current = machine.currentVersion(p.root)
    machine.runningVersions(p.root) == (current ? [current] : []) && machine.proxyRunning(p.root, p.frontPort as int) == (current != null)
  }
  testReset { p ->
    machine.stopAll(p.root)
  }
}

// ------------------------------------------------------------------ the machine

/** Everything the runbook does to this machine: files under root, processes, links, HTTP. */
class LocalMachine {
  static Path releases(String root) { Path.of(root).resolve('releases') }

  String nextVersion(String root) {
    int n = 0
    releases(root).toFile().listFiles()?.each { f ->
      def m = f.name =~ /^v(\d+)$/
      if (m.matches()) n = Math.max(n, m.group(1) as int)
    }
    "v${n + 1}"
  }

  boolean exists(String root, String version) { Files.exists(releases(root).resolve(version)) }

  /** The release's directory, its service, and what it replaces; the version is recorded as pending first. */
  void prepare(String root, String version, String previous, String key) {
    Files.createDirectories(releases(root))
    Files.writeString(Path.of(root).resolve('pending'), version)
    Files.writeString(Path.of(root).resolve('pending-key'), key)
    Files.writeString(Path.of(root).resolve('pending-previous'), previous ?: '')
    Path dir = releases(root).resolve(version)
    Files.createDirectories(dir)
    Files.writeString(dir.resolve('TinyService.java'), Sources.SERVICE)
    Files.writeString(dir.resolve('previous'), previous ?: '')
  }

  /** The release the step with this idempotency key prepared, if it did. */
  String preparedBy(String root, String key) {
    Path k = Path.of(root).resolve('pending-key')
    Files.exists(k) && Files.readString(k).trim() == key && exists(root, pending(root)) ? pending(root) : null
  }

  /** The releases whose process runs. */
  List<String> runningVersions(String root) {
    (releases(root).toFile().listFiles()?.findAll { f ->
      Path pid = f.toPath().resolve('pid')
      Files.exists(pid) && ProcessHandle.of(Files.readString(pid).trim() as long).map { it.alive }.orElse(false)
    }?.collect { it.name }?.sort()) ?: []
  }

  String pending(String root) {
    Path p = Path.of(root).resolve('pending')
    Files.exists(p) ? Files.readString(p).trim() : null
  }

  /** What served before the pending release (null: nothing). */
  String previousOrNull(String root) {
    Path p = Path.of(root).resolve('pending-previous')
    Files.exists(p) ? (Files.readString(p).trim() ?: null) : null
  }

  String previousOf(String root, String version) {
    Path p = releases(root).resolve(version).resolve('previous')
    Files.exists(p) ? (Files.readString(p).trim() ?: null) : previousOrNull(root)
  }

  void deleteRelease(String root, String version) {
    if (version) releases(root).resolve(version).toFile().deleteDir()
  }

  /** Starts the release's service on a free port; returns the port. */
  int startService(String root, String version, long failAfterMs) {
    Path dir = releases(root).resolve(version)
    int port = new ServerSocket(0, 0, InetAddress.getLoopbackAddress()).withCloseable { it.localPort }
    Files.writeString(dir.resolve('port'), String.valueOf(port))
    Process p = startJava(dir, 'TinyService.java', String.valueOf(port), version, String.valueOf(failAfterMs),
        rootId(root))   // the last argument names the checkout: stopping checks it
    Files.writeString(dir.resolve('pid'), String.valueOf(p.pid()))
    port
  }

  void stopService(String root, String version) {
    if (version) stopPid(releases(root).resolve(version).resolve('pid'))
  }

  /** This checkout's identity: the absolute path of its root, which its proxy answers at /__front-proxy. */
  String rootId(String root) { Path.of(root).toAbsolutePath().normalize().toString() }

  /** Whose proxy answers on frontPort: a root's id, another program's description, or null when nothing answers. */
  String proxyOwner(int frontPort) {
    def (status, body) = get(frontPort, '/__front-proxy')
    status == null ? null : status == 200 && body?.startsWith('/') ? body : "another program (it answers /__front-proxy with ${status})".toString()
  }

  boolean proxyRunning(String root, int frontPort) { proxyOwner(frontPort) == rootId(root) }

  void startProxy(String root, int frontPort, String startedBy) {
    Path r = Path.of(root)
    Files.writeString(r.resolve('FrontProxy.java'), Sources.PROXY)
    Process p = startJava(r, 'FrontProxy.java', String.valueOf(frontPort), rootId(root))
    Files.writeString(r.resolve('proxy.pid'), String.valueOf(p.pid()))
    Files.writeString(r.resolve('proxy.started-by'), startedBy)
    for (int i = 0; i < 120 && proxyOwner(frontPort) == null; i++) {
      Thread.sleep(250)
    }
  }

  String proxyStartedBy(String root) {
    Path p = Path.of(root).resolve('proxy.started-by')
    Files.exists(p) ? Files.readString(p).trim() : null
  }

  void stopProxy(String root) {
    stopPid(Path.of(root).resolve('proxy.pid'))
    Files.deleteIfExists(Path.of(root).resolve('proxy.started-by'))
  }

  String currentVersion(String root) {
    Path current = Path.of(root).resolve('current')
    Files.isSymbolicLink(current) ? Files.readSymbolicLink(current).fileName.toString() : null
  }

  /** Repoints root/current at releases/version (or removes it for null), atomically. */
  void pointCurrent(String root, String version) {
    Path r = Path.of(root)
    Path current = r.resolve('current')
    if (version == null) {
      Files.deleteIfExists(current)
      return
    }
    Path tmp = r.resolve("current.${System.nanoTime()}")
    Files.createSymbolicLink(tmp, Path.of('releases', version))
    Files.move(tmp, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
  }

  /** [status, body] of a GET on 127.0.0.1:port, or [null, reason] when nothing answers. */
  List get(int port, String path) {
    try {
      HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:${port}${path}").openConnection()
      c.connectTimeout = 1000
      c.readTimeout = 3000
      int status = c.responseCode
      String body = (status < 400 ? c.inputStream : c.errorStream)?.getText('UTF-8')?.trim()
      [status, body]
    } catch (IOException e) {
      [null, e.toString()]
    }
  }

  /** Stops the proxy and every release, and forgets them. */
  void stopAll(String root) {
    Path r = Path.of(root)
    stopPid(r.resolve('proxy.pid'))
    releases(root).toFile().listFiles()?.each { stopPid(it.toPath().resolve('pid')) }
    r.toFile().deleteDir()
  }

  /** Whether h was started by a checkout whose root is a prefix of path (it names its root in its arguments). */
  static boolean ours(ProcessHandle h, String path) {
    List<String> args = h.info().arguments().map { it as List<String> }.orElse(null)
    args == null || args.any { String a -> a.length() > 1 && a.startsWith('/') && path.startsWith(a + '/') }
  }

  /** Starts `java File.java args...` in dir, detached from this process (its output goes to a log). */
  static Process startJava(Path dir, String source, String... args) {
    String java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
    List<String> cmd = [java, '-XX:TieredStopAtLevel=1', '-Xmx64m', source] + (args as List)
    new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(source.replace('.java', '.log')).toFile()))
        .start()
  }

  /**
   * Stops the process whose pid the file holds, if it runs and is this checkout's (its arguments name
   * the checkout's root: a pid reused by another process is left alone); waits for it to end.
   */
  static void stopPid(Path pidFile) {
    if (!Files.exists(pidFile)) return
    long pid = Files.readString(pidFile).trim() as long
    String root = pidFile.toAbsolutePath().normalize().toString()
    ProcessHandle.of(pid).filter { h -> ours(h, root) }.ifPresent { h ->
      h.descendants().each { it.destroy() }
      h.destroy()
      try {
        h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS)
      } catch (Exception e) {
        h.destroyForcibly()
      }
    }
  }
}

// ------------------------------------------------------------------ what a release holds

/** The sources the machine writes: the service every release holds, and the front proxy. */
class Sources {
  static final String SERVICE = '''
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** The service being released: says hello with its version; /health can be told to go bad. */
public class TinyService {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String version = args[1];
    long failAfterMs = Long.parseLong(args[2]);   // -1 healthy; 0 never healthy; n: bad n ms after its first check
    long[] firstCheck = {0};
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/health", x -> {
      long now = System.currentTimeMillis();
      synchronized (firstCheck) {
        if (firstCheck[0] == 0) {
          firstCheck[0] = now;
        }
      }
      boolean ok = failAfterMs < 0 || failAfterMs > 0 && now - firstCheck[0] < failAfterMs;
      byte[] b = ((ok ? "ok " : "failing ") + version).getBytes(StandardCharsets.UTF_8);
      x.sendResponseHeaders(ok ? 200 : 500, b.length);
      x.getResponseBody().write(b);
      x.close();
    });
    server.createContext("/", x -> {
      byte[] b = ("hello from " + version).getBytes(StandardCharsets.UTF_8);
      x.sendResponseHeaders(200, b.length);
      x.getResponseBody().write(b);
      x.close();
    });
    server.start();
  }
}
'''

  static final String PROXY = '''
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;

/** The front door on a fixed port: forwards each request to the release the link "current" points at. */
public class FrontProxy {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Path current = Path.of(args[1]).resolve("current");
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/__front-proxy", x -> {   // whose proxy this is: its checkout's root
      byte[] id = args[1].getBytes(StandardCharsets.UTF_8);
      x.sendResponseHeaders(200, id.length);
      x.getResponseBody().write(id);
      x.close();
    });
    server.createContext("/", x -> {
      int status;
      byte[] body;
      try {
        String target = Files.readString(current.resolve("port")).trim();   // follows the link on every request
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + target + x.getRequestURI())).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        status = r.statusCode();
        body = r.body();
      } catch (NoSuchFileException e) {
        status = 503;
        body = "no release is live".getBytes(StandardCharsets.UTF_8);
      } catch (Exception e) {
        status = 502;
        body = ("bad gateway: " + e).getBytes(StandardCharsets.UTF_8);
      }
      x.sendResponseHeaders(status, body.length);
      x.getResponseBody().write(body);
      x.close();
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }
}
'''
}
