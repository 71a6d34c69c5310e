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
// runs on the fixed port 18080, switches traffic by atomically repointing the link `current` the
// proxy follows, bakes while a watch polls /health through the front port, then stops the previous
// version. On any failure it switches back and stops the new process.
import dev.runbook4j.GateDecision
import dev.runbook4j.Health
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption

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
      Path releases = releases(params.root)
      Files.createDirectories(releases)
      String version = params.version ?: nextVersion(releases)
      Path dir = releases.resolve(version)
      if (Files.exists(dir)) {
        throw new IllegalStateException("release ${version} exists already in ${releases}; give another -p version=")
      }
      // written first, so the undo knows the version even if this step's answer is lost
      Files.writeString(Path.of(params.root).resolve('pending'), version)
      Files.createDirectories(dir)
      Files.writeString(dir.resolve('TinyService.java'), SERVICE)
      Files.writeString(dir.resolve('previous'), currentVersion(params.root) ?: '')
      println "  release ${version} prepared in ${dir}"
      version
    }
    compensate { ctx, version ->
      String v = version ?: Files.readString(Path.of(params.root).resolve('pending')).trim()
      deleteTree(releases(params.root).resolve(v))
    }
  }

  step('start-new') {
    description 'the new version as its own process on a free loopback port'
    action { ctx ->
      String version = ctx.output('prepare-release')
      Path dir = releases(params.root).resolve(version)
      int port = freePort()
      Files.writeString(dir.resolve('port'), String.valueOf(port))
      long failAfterMs = params.failAt == 'health' ? 0 : params.failAt == 'bake' ? 2000 : -1
      Process p = startJava(dir, 'TinyService.java', String.valueOf(port), version, String.valueOf(failAfterMs))
      Files.writeString(dir.resolve('pid'), String.valueOf(p.pid()))
      println "  ${version} starting on 127.0.0.1:${port} (pid ${p.pid()})"
      if (params.failAt == 'start') {
        throw new IllegalStateException("the start of ${version} failed (-p failAt=start)")
      }
      port
    }
    compensate { ctx, port ->
      String v = Files.readString(Path.of(params.root).resolve('pending')).trim()
      stopPid(releases(params.root).resolve(v).resolve('pid'))
    }
  }

  gate('healthy') {
    description 'the new version answers /health with 200'
    check { ctx ->
      String version = ctx.output('prepare-release')
      int port = ctx.output('start-new') as int
      def (status, body) = get(port, '/health')
      status == 200 ? GateDecision.pass() : GateDecision.recheck("${version} answers ${status ?: 'nothing yet'}")
    }
    every '1s'
    timeout '20s'
  }

  step('front-proxy') {
    description "the front proxy on the fixed port, started if it is not running"
    action { ctx ->
      if (get(params.frontPort as int, '/')[0] != null) {
        return 'already running'
      }
      Path root = Path.of(params.root)
      Files.writeString(root.resolve('FrontProxy.java'), PROXY)
      Process p = startJava(root, 'FrontProxy.java', String.valueOf(params.frontPort), root.toAbsolutePath().toString())
      Files.writeString(root.resolve('proxy.pid'), String.valueOf(p.pid()))
      Files.writeString(root.resolve('proxy.started-by'), ctx.output('prepare-release'))
      for (int i = 0; i < 120 && get(params.frontPort as int, '/')[0] == null; i++) {
        ctx.sleep('250ms')
      }
      println "  front proxy started on 127.0.0.1:${params.frontPort} (pid ${p.pid()})"
      'started'
    }
    compensate { ctx, out ->
      Path root = Path.of(params.root)
      Path by = root.resolve('proxy.started-by')
      String v = Files.readString(root.resolve('pending')).trim()
      if (Files.exists(by) && Files.readString(by).trim() == v) {
        stopPid(root.resolve('proxy.pid'))   // only the release that started it stops it
        Files.delete(by)
      }
    }
  }

  group('live') {
    watch('front-health') {
      check { ctx ->
        def (status, body) = get(params.frontPort as int, '/health')
        if (status == 200 || currentVersion(params.root) == null) {
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
        pointCurrent(params.root, version)
        println "  traffic on http://127.0.0.1:${params.frontPort}/ now goes to ${version}"
        if (params.failAt == 'switch') {
          throw new IllegalStateException("the switch to ${version} reported an error (-p failAt=switch)")
        }
        version
      }
      compensate { ctx, out ->
        String v = Files.readString(Path.of(params.root).resolve('pending')).trim()
        String previous = Files.readString(releases(params.root).resolve(v).resolve('previous')).trim()
        pointCurrent(params.root, previous ?: null)
        println "  traffic switched back to ${previous ?: 'nothing'}"
      }
    }
    bake('bake', '8s')
  }

  step('stop-previous') {
    description 'stops the version that served before: after this there is no way back'
    action { ctx ->
      String version = ctx.output('prepare-release')
      String previous = Files.readString(releases(params.root).resolve(version).resolve('previous')).trim()
      if (previous) {
        stopPid(releases(params.root).resolve(previous).resolve('pid'))
        println "  ${previous} stopped"
      }
      previous ?: 'none'
    }
    irreversible()
    onFailure 'continue'
  }

  step('report') {
    action { ctx ->
      def (status, body) = get(params.frontPort as int, '/')
      println "  ${ctx.output('prepare-release')} is live: http://127.0.0.1:${params.frontPort}/ answers ${status} \"${body}\""
      body
    }
    readOnly()
  }

  // for `runbook4j test`: each failure path starts from a clean machine
  testReset { p ->
    stopAll(p.root)
  }
  invariant('a rolled-back release leaves no directory behind', when: 'rolledBack') { p ->
    String v = Files.readString(Path.of(p.root).resolve('pending')).trim()
    !Files.exists(releases(p.root).resolve(v))
  }
}

// ------------------------------------------------------------------ helpers

static Path releases(String root) { Path.of(root).resolve('releases') }

static String nextVersion(Path releases) {
  int n = 0
  releases.toFile().listFiles()?.each { f ->
    def m = f.name =~ /^v(\d+)$/
    if (m.matches()) n = Math.max(n, m.group(1) as int)
  }
  "v${n + 1}"
}

static String currentVersion(String root) {
  Path current = Path.of(root).resolve('current')
  Files.isSymbolicLink(current) ? Files.readSymbolicLink(current).fileName.toString() : null
}

/** Repoints root/current at releases/version (or removes it for null), atomically. */
static void pointCurrent(String root, String version) {
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

static int freePort() {
  new ServerSocket(0, 0, InetAddress.getLoopbackAddress()).withCloseable { it.localPort }
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

/** Stops the process whose pid the file holds, if it runs; waits for it to end. */
static void stopPid(Path pidFile) {
  if (!Files.exists(pidFile)) return
  long pid = Files.readString(pidFile).trim() as long
  ProcessHandle.of(pid).ifPresent { h ->
    h.descendants().each { it.destroy() }
    h.destroy()
    try {
      h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS)
    } catch (Exception e) {
      h.destroyForcibly()
    }
  }
}

/** Stops the proxy and every release, and forgets them. */
static void stopAll(String root) {
  Path r = Path.of(root)
  stopPid(r.resolve('proxy.pid'))
  releases(root).toFile().listFiles()?.each { stopPid(it.toPath().resolve('pid')) }
  deleteTree(r)
}

static void deleteTree(Path p) {
  if (Files.exists(p) || Files.isSymbolicLink(p)) {
    p.toFile().deleteDir()
  }
}

/** [status, body] of a GET on 127.0.0.1:port, or [null, reason] when nothing answers. */
static List get(int port, String path) {
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

// ------------------------------------------------------------------ what a release holds

@groovy.transform.Field static final String SERVICE = '''
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

@groovy.transform.Field static final String PROXY = '''
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
