package dev.runbook4j.notify;

import dev.runbook4j.Secret;
import dev.runbook4j.spi.Notification;
import dev.runbook4j.spi.NotificationException;
import dev.runbook4j.spi.Notifier;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * Posts each message as JSON to a URL: a chat's incoming webhook, an incident tool, your own
 * service. The body carries {@code text} (what Slack and Teams-style webhooks show), and the run,
 * runbook, event, channel, details and idempotency key (also sent as the {@code Idempotency-Key}
 * header, so a receiver can drop the repeat of a message a restart sent again):
 *
 * <pre>{@code
 * {"text":"web-deploy 1.4.2 rolled back: ...","runId":"7f3a...","runbook":"web-deploy",
 *  "event":"rolledBack","channel":"oncall","details":{"state":"ROLLED_BACK",...},
 *  "idempotencyKey":"7f3a...:rolledBack:oncall:0","at":"2026-12-02T10:15:30Z"}
 * }</pre>
 *
 * <p>A 2xx answer is delivered; a 408, 429 or 5xx, a timeout or a broken connection is worth
 * another try (the engine's notification retry); any other answer is not. The URL (which often
 * holds a token, as Slack's do) and the header values never appear in an error message; the
 * message's texts are masked of the run's secrets before this notifier sees them.
 *
 * <pre>{@code
 * RunbookEngine.builder()
 *     .notifier("oncall", WebhookNotifier.builder(URI.create(System.getenv("ONCALL_WEBHOOK")))
 *         .header("Authorization", Secret.of("Bearer " + token))
 *         .build())
 * }</pre>
 *
 * <p>This class is threadsafe.
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public final class WebhookNotifier implements Notifier {
  private final URI url;
  private final Map<String, Secret> headers;
  private final Duration timeout;
  private final HttpClient client;

  private WebhookNotifier(Builder b) {
    this.url = b.url;
    this.headers = Map.copyOf(b.headers);
    this.timeout = b.timeout;
    this.client = HttpClient.newBuilder().connectTimeout(b.timeout).followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /** A webhook that posts to {@code url} (http or https). */
  public static Builder builder(URI url) {
    return new Builder(url);
  }

  @Override
  public void send(Notification n) throws NotificationException, InterruptedException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("text", n.text());
    body.put("runId", n.runId());
    body.put("runbook", n.runbook());
    body.put("event", n.event());
    body.put("channel", n.channel());
    body.put("details", n.details());
    body.put("idempotencyKey", n.idempotencyKey());
    body.put("at", n.at().toString());
    HttpRequest.Builder req = HttpRequest.newBuilder(url).timeout(timeout)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Idempotency-Key", n.idempotencyKey())
        .POST(HttpRequest.BodyPublishers.ofString(dev.runbook4j.spi.EventCodec.inOrder(body), StandardCharsets.UTF_8));
    headers.forEach((k, v) -> req.header(k, v.reveal()));
    HttpResponse<String> res;
    try {
      res = client.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new NotificationException("the webhook at " + where() + " could not be reached: "
          + e.getClass().getSimpleName(), true, null);
    }
    int status = res.statusCode();
    if (status / 100 == 2) {
      return;
    }
    boolean retryable = status == 408 || status == 429 || status / 100 == 5;
    String said = res.body() == null ? "" : res.body().strip();
    String path = url.getRawPath();
    if (path != null && path.length() > 1) {
      said = said.replace(path, "/…").replace(url.getPath(), "/…");  // a receiver that echoes the URL: its token
    }
    throw new NotificationException("the webhook at " + where() + " answered " + status
        + (said.isEmpty() ? "" : ": " + (said.length() > 200 ? said.substring(0, 200) + "…" : said)), retryable, null);
  }

  /** The URL without its path, query or user: what an error may show. */
  private String where() {
    return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
  }

  @Override
  public String toString() {
    return "WebhookNotifier[" + where() + "/…]";
  }

  /** Configures a {@link WebhookNotifier}. Not threadsafe. */
  public static final class Builder {
    private final URI url;
    private final Map<String, Secret> headers = new LinkedHashMap<>();
    private Duration timeout = Duration.ofSeconds(10);

    private Builder(URI url) {
      this.url = Objects.requireNonNull(url, "url");
      String scheme = url.getScheme();
      if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
        throw new IllegalArgumentException("a webhook needs an http or https URL with a host");
      }
    }

    /** A header sent with every message (a token: its value never appears in a message or a log). */
    public Builder header(String name, Secret value) {
      headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** How long to wait to connect, and for an answer (default 10 s). */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    public WebhookNotifier build() {
      return new WebhookNotifier(this);
    }
  }
}
