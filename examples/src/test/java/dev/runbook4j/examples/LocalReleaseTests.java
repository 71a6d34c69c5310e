package dev.runbook4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptRunbook;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main example for real: local-release.groovy starts real processes (each release, a
 * front proxy) on loopback ports, on the real clock (its bakes take 8 s), journaled in SQLite.
 */
@Tag("slow")
class LocalReleaseTests {
  @TempDir
  Path dir;
  Path root;
  int front;
  JdbcJournal journal;
  RunbookEngine engine;

  @BeforeEach
  void setUp() throws IOException {
    root = dir.resolve("local-release");
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      front = s.getLocalPort();
    }
    journal = JdbcJournal.sqlite(dir.resolve("journal.db"));
    engine = RunbookEngine.builder().journal(journal).build();
  }

  @AfterEach
  void stopEverything() {
    try {
      run("runbooks/local-stop.groovy", Map.of());
    } finally {
      engine.close();
      journal.close();
    }
  }

  private RunResult run(String file, Map<String, String> extra) {
    ScriptRunbook script = RunbookScripts.load(Path.of(file));
    Map<String, String> p = new HashMap<>(extra);
    p.put("root", root.toString());
    if (script.parameters().containsKey("frontPort")) {
      p.put("frontPort", String.valueOf(front));
    }
    return engine.run(script.runbook(), script.params(p));
  }

  private RunResult release(String... params) {
    Map<String, String> p = new HashMap<>();
    for (int i = 0; i < params.length; i += 2) {
      p.put(params[i], params[i + 1]);
    }
    return run("runbooks/local-release.groovy", p);
  }

  private String front(String path) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + front + path).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(5000);
      return c.getResponseCode() + " " + new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "nothing: " + e;
    }
  }

  private boolean alive(String release) throws IOException {
    Path pid = root.resolve("releases").resolve(release).resolve("pid");
    return Files.exists(pid) && ProcessHandle.of(Long.parseLong(Files.readString(pid).trim()))
        .map(ProcessHandle::isAlive).orElse(false);
  }

  @Test
  void releasesRollBackAndStop() throws IOException {
    RunResult first = release();
    assertThat(first.state()).as("%s", first).isEqualTo(RunState.SUCCEEDED);
    assertThat(front("/")).isEqualTo("200 hello from v1");

    RunResult second = release();
    assertThat(second.state()).as("%s", second).isEqualTo(RunState.SUCCEEDED);
    assertThat(front("/")).isEqualTo("200 hello from v2");
    assertThat(alive("v1")).as("v1 stopped once v2 serves").isFalse();
    assertThat(Files.readSymbolicLink(root.resolve("current")).toString()).endsWith("v2");

    RunResult broken = release("failAt", "bake");
    assertThat(broken.state()).as("%s", broken).isEqualTo(RunState.ROLLED_BACK);
    assertThat(broken.failure().orElseThrow().getMessage()).contains("front-health", "answers 500: failing v3");
    assertThat(broken.compensated()).containsExactly("live/switch-traffic", "front-proxy", "start-new",
        "prepare-release");
    assertThat(front("/")).isEqualTo("200 hello from v2");
    assertThat(root.resolve("releases").resolve("v3")).doesNotExist();
    assertThat(alive("v2")).isTrue();

    RunResult unhealthy = release("failAt", "health");
    assertThat(unhealthy.state()).isEqualTo(RunState.ROLLED_BACK);
    assertThat(unhealthy.failure().orElseThrow().getMessage()).contains("healthy");
    assertThat(front("/")).isEqualTo("200 hello from v2");
    assertThat(journal.verify(broken.runId()).ok()).isTrue();

    RunResult stop = run("runbooks/local-stop.groovy", Map.of());
    assertThat(stop.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(front("/")).startsWith("nothing");
    assertThat(root).doesNotExist();
  }

  @Test
  void twoCheckoutsOnOneMachineNeverServeEachOthersReleasesNorStopEachOthersProxy() throws IOException {
    RunResult mine = release();
    assertThat(mine.state()).as("%s", mine).isEqualTo(RunState.SUCCEEDED);
    assertThat(front("/")).isEqualTo("200 hello from v1");

    Path mineRoot = root;
    root = dir.resolve("other-checkout").resolve("local-release");  // a second clone, the same default port
    RunResult theirs = release();
    assertThat(theirs.state()).as("%s", theirs).isEqualTo(RunState.ROLLED_BACK);
    assertThat(theirs.failure().orElseThrow().getMessage()).contains("port " + front + " is held by the front proxy"
        + " of another checkout (" + mineRoot.toAbsolutePath().normalize() + ")", "-p frontPort=");
    assertThat(front("/")).isEqualTo("200 hello from v1");  // still the first checkout's release, behind its proxy

    RunResult stopTheirs = run("runbooks/local-stop.groovy", Map.of());
    assertThat(stopTheirs.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(front("/")).as("the second checkout's stop leaves the first one's proxy").isEqualTo("200 hello from v1");
    root = mineRoot;  // the first checkout stops its own (after each)
  }

  @Test
  void theFirstReleaseRolledBackStopsTheProxyItStarted() {
    RunResult r = release("failAt", "switch");
    assertThat(r.state()).as("%s", r).isEqualTo(RunState.ROLLED_BACK);
    assertThat(r.compensated()).containsExactly("live/switch-traffic", "front-proxy", "start-new", "prepare-release");
    assertThat(front("/")).startsWith("nothing");
    assertThat(root.resolve("current")).doesNotExist();
  }
}
