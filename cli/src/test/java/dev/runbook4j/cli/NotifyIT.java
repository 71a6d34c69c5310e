package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A script's messages across processes: the run is started in one shell (which sends its start and
 * its approval request, then detaches), approved in another (which drives the run to its end and
 * sends its success), each posting to a webhook served by this test's JVM; each message arrives
 * once, none carries the run's secret, and the second shell finds its webhook in the environment.
 */
class NotifyIT {
  static final String SECRET = "tok-77-n0tify-s3cr3t";

  @TempDir
  Path dir;

  private HttpServer server;
  private final List<String> bodies = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/hook", exchange -> {
      bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void eachMessageArrivesOnceFromWhicheverProcessReachesItsMoment() throws Exception {
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    Files.writeString(dir.resolve("deploy.runbook.groovy"), """
        runbook('deploy') {
          parameters { string 'version', required: true; secret 'token', required: true }
          on('started', channel: 'chat') { ctx -> "deploying ${params.version} with ${params.token.reveal()}" }
          on('awaitingApproval', channel: 'chat') { ctx -> "approve ${params.version}, please" }
          on('succeeded', channel: 'chat') { ctx -> "deployed ${params.version}" }
          step('push') { action { ctx -> 'pushed' }; readOnly() }
          gate('go') { approval { approvers 'alice' } }
          notify('tell', channel: 'chat') { ctx -> "going live with ${params.version}" }
        }
        """);
    Cli cli = new Cli(dir);
    Cli.Result first = cli.start(Map.of("RB4J_TOKEN", SECRET), "run", "deploy.runbook.groovy", "-p", "version=1.2",
        "--secret-env", "token=RB4J_TOKEN", "--run-id", "r1", "--as", "dev", "--notify", "chat=" + url, "--detach")
        .result();
    assertThat(first.code()).as(first.both()).isEqualTo(4);
    assertThat(events()).containsExactly("started", "awaitingApproval");
    assertThat(first.out()).doesNotContain(SECRET);

    // another shell approves; a third, its webhook from the environment, goes on with the run to its end
    Cli.Result second = cli.run("approve", "r1", "go", "--as", "alice");
    assertThat(second.code()).as(second.both()).isZero();
    Cli.Result third = cli.start(Map.of("RUNBOOK4J_NOTIFY_CHAT", url, "RB4J_TOKEN", SECRET), "resume", "r1",
        "--secret-env", "token=RB4J_TOKEN").result();
    assertThat(third.code()).as(third.both()).isZero();
    assertThat(events()).containsExactly("started", "awaitingApproval", "notify", "succeeded");
    assertThat(bodies).allSatisfy(b -> assertThat(b).doesNotContain(SECRET));
    assertThat(text(0)).isEqualTo("deploying 1.2 with ***");
    JsonNode journal = cli.events("r1");
    assertThat(journal.toString()).contains("NotificationSent").doesNotContain(SECRET);
  }

  private List<String> events() throws Exception {
    ObjectMapper m = new ObjectMapper();
    List<String> out = new java.util.ArrayList<>();
    for (String b : bodies) {
      out.add(m.readTree(b).get("event").asText());
    }
    return out;
  }

  private String text(int i) throws Exception {
    return new ObjectMapper().readTree(bodies.get(i)).get("text").asText();
  }
}
