package dev.runbook4j.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.runbook4j.OnFailure;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHook;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.Secret;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.EventCodec;
import dev.runbook4j.spi.VirtualTime;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook notifier against a real HTTP server on this machine (the JDK's): each hook's message
 * arrives as JSON, a 5xx is tried again on the engine's (virtual) clock, a 4xx is not, and no
 * secret — of the run's parameters, of the header, of the URL's path — is ever in a body or an
 * error. The calls are real local HTTP; nothing sleeps.
 */
class WebhookNotifierTests {
  record Params(String version, Secret token) {}

  private static final String TOKEN = "tok-s3cr3t-42";
  private static final String PATH_TOKEN = "T0K3N-in-the-path";

  private HttpServer server;
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final List<Map<String, List<String>>> headers = new CopyOnWriteArrayList<>();
  private final AtomicInteger failFirst = new AtomicInteger();
  private volatile int failWith = 503;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/hooks/", exchange -> {
      byte[] in = exchange.getRequestBody().readAllBytes();
      bodies.add(new String(in, StandardCharsets.UTF_8));
      headers.add(Map.copyOf(exchange.getRequestHeaders()));
      int status = failFirst.getAndDecrement() > 0 ? failWith : 200;
      byte[] out = (status == 200 ? "ok" : "no: " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, out.length);
      exchange.getResponseBody().write(out);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/" + PATH_TOKEN);
  }

  private Runbook<Params> deploy() {
    return Runbook.builder("web-deploy", Params.class)
        .on(RunHook.STARTED, "chat", ctx -> "deploying " + ctx.params().version())
        .on(RunHook.ROLLED_BACK, "chat", ctx -> "rolled back " + ctx.params().version() + " (token "
            + ctx.params().token().reveal() + ")")
        .step("push", s -> s.action(ctx -> {
          throw new IllegalStateException("registry refused " + ctx.params().token().reveal());
        }).compensate((ctx, out) -> { }))
        .build();
  }

  private RunbookEngine engine(InMemoryJournal journal) {
    // tag::webhook[]
    return RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(journal)
        .notifier("chat", WebhookNotifier.builder(url()).header("Authorization", Secret.of("Bearer hdr-s3cr3t")).build())
        .build();
    // end::webhook[]
  }

  @Test
  void eachHookArrivesAsJsonWithItsIdempotencyKeyAndNoSecret() {
    InMemoryJournal journal = new InMemoryJournal();
    try (RunbookEngine engine = engine(journal)) {
      RunResult r = engine.run(deploy(), new Params("1.4.2", Secret.of(TOKEN)));
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
    }
    assertThat(bodies).hasSize(2);
    @SuppressWarnings("unchecked")
    Map<String, Object> started = (Map<String, Object>) EventCodec.parse(bodies.get(0));
    assertThat(started).containsEntry("text", "deploying 1.4.2").containsEntry("event", "started")
        .containsEntry("runbook", "web-deploy").containsEntry("channel", "chat");
    @SuppressWarnings("unchecked")
    Map<String, Object> rolledBack = (Map<String, Object>) EventCodec.parse(bodies.get(1));
    assertThat(rolledBack.get("event")).isEqualTo("rolledBack");
    assertThat((String) rolledBack.get("text")).isEqualTo("rolled back 1.4.2 (token ***)");
    @SuppressWarnings("unchecked")
    Map<String, String> details = (Map<String, String>) rolledBack.get("details");
    assertThat(details.get("failure")).contains("registry refused ***");
    assertThat(bodies).allSatisfy(b -> assertThat(b).doesNotContain(TOKEN));
    assertThat(headers.get(0).get("Idempotency-key")).containsExactly((String) started.get("idempotencyKey"));
    assertThat(headers.get(0).get("Authorization")).containsExactly("Bearer hdr-s3cr3t");
  }

  @Test
  void aServerErrorIsTriedAgainUntilTheMessageGetsThrough() {
    failFirst.set(2);
    InMemoryJournal journal = new InMemoryJournal();
    RunResult r;
    try (RunbookEngine engine = engine(journal)) {
      r = engine.run(deploy(), new Params("1.4.2", Secret.of(TOKEN)));
    }
    assertThat(bodies).hasSize(4);  // the start three times (503, 503, 200), the rollback once
    assertThat(bodies.get(0)).isEqualTo(bodies.get(2));  // the same message, the same key
    assertThat(journal.read(r.runId())).filteredOn(RunEvent.NotificationSent.class::isInstance)
        .map(e -> ((RunEvent.NotificationSent) e).attempts()).containsExactly(3, 1);
  }

  @Test
  void aClientErrorIsNotTriedAgainAndItsErrorShowsNeitherThePathNorTheHeader() {
    failFirst.set(100);
    failWith = 404;
    InMemoryJournal journal = new InMemoryJournal();
    RunResult r;
    try (RunbookEngine engine = engine(journal)) {
      r = engine.run(deploy(), new Params("1.4.2", Secret.of(TOKEN)));
    }
    assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);  // a message never changes how a run ends
    assertThat(bodies).hasSize(2);
    List<String> errors = journal.read(r.runId()).stream().filter(RunEvent.NotificationFailed.class::isInstance)
        .map(e -> ((RunEvent.NotificationFailed) e).error()).toList();
    assertThat(errors).hasSize(2).allSatisfy(e -> assertThat(e)
        .contains("the webhook at http://127.0.0.1:" + server.getAddress().getPort() + " answered 404")
        .doesNotContain("hdr-s3cr3t").doesNotContain(PATH_TOKEN));
    // the server's own answer is shown (it is the receiver's words), the URL's path masked in it
    assertThat(errors.get(0)).contains("answered 404: no: /…");
  }

  @Test
  void aNotifyStepPostsToo() {
    InMemoryJournal journal = new InMemoryJournal();
    Runbook<Void> rb = Runbook.builder("tell")
        .notify("announce", "chat", ctx -> "cutting over now", s -> s.onFailure(OnFailure.ROLLBACK))
        .build();
    try (RunbookEngine engine = engine(journal)) {
      assertThat(engine.run(rb, null).state()).isEqualTo(RunState.SUCCEEDED);
    }
    assertThat(bodies).singleElement().asString().contains("\"text\":\"cutting over now\"", "\"event\":\"notify\"");
  }
}
