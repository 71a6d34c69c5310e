package dev.runbook4j.internal.run;

import dev.runbook4j.RetrySpec;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHook;
import dev.runbook4j.Runbook;
import dev.runbook4j.spi.Notification;
import dev.runbook4j.spi.NotificationException;
import dev.runbook4j.spi.Notifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's messages to people: its hooks (sent once, journaled, never changing how the run ends)
 * and its {@code notify} steps' sends. Each message is made from the run's context, masked of its
 * secrets, and tried again on the engine's clock by the engine's notification retry.
 */
final class Notifications {
  private static final Logger log = LoggerFactory.getLogger(Notifications.class);

  private final Run run;

  Notifications(Run run) {
    this.run = run;
  }

  /**
   * Sends the messages of {@code hook} ({@code about}: the gate of an approval, else null), each
   * once: a message the journal says was sent, or given up on, is not sent again.
   */
  void hook(RunHook hook, String about, Map<String, String> details) {
    List<Runbook.Hook<Object>> hooks = run.runbook.hooks();
    for (int i = 0; i < hooks.size(); i++) {
      Runbook.Hook<Object> h = hooks.get(i);
      if (h.hook() != hook) {
        continue;
      }
      String key = run.runId + ":" + hook.label() + (about == null ? "" : ":" + about) + ":" + h.channel() + ":" + i;
      synchronized (run) {
        if (run.ledger().notified(key)) {
          continue;
        }
      }
      String text;
      try {
        text = h.message().text(new Contexts.RunCtx(run, Frame.root(run.runbook.watches())));
      } catch (Exception | LinkageError e) {
        run.record(new RunEvent.NotificationFailed(run.runId, hook.label(), h.channel(), key, "its message failed: "
            + run.describe(e), run.now()));
        continue;
      }
      try {
        int attempts = send(hook.label(), h.channel(), text == null ? "" : text, details, key);
        run.record(new RunEvent.NotificationSent(run.runId, hook.label(), h.channel(), key, attempts, run.now()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        log.warn("Run {} ({}): the {} message to '{}' did not get through: {}", run.runId, run.runbook.name(),
            hook.label(), h.channel(), run.describe(e));
        run.record(new RunEvent.NotificationFailed(run.runId, hook.label(), h.channel(), key, run.describe(e),
            run.now()));
      }
    }
  }

  /**
   * Delivers {@code text} to {@code channel}, masked of the run's secrets, trying again as the
   * engine says; the number of attempts it took, or the last failure.
   */
  int send(String event, String channel, String text, Map<String, String> details, String key) throws Exception {
    Notifier notifier = run.host.notifier(channel);
    if (notifier == null) {
      throw new NotificationException("the engine has no notifier named '" + channel + "' (it has: "
          + run.host.channels() + "); add RunbookEngine.builder().notifier(\"" + channel + "\", ...)", false, null);
    }
    Map<String, String> shown = new LinkedHashMap<>();
    details.forEach((k, v) -> shown.put(k, v == null ? "" : run.shown(v)));
    Notification n = new Notification(run.runId, run.runbook.name(), event, channel, run.shown(text), shown, key,
        run.now());
    RetrySpec retry = run.host.notificationRetry();
    for (int attempt = 1; ; attempt++) {
      try {
        notifier.send(n);
        return attempt;
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        boolean worth = !(e instanceof NotificationException ne) || ne.retryable();
        if (!worth || attempt >= retry.maxAttempts() || !retry.retries(e)) {
          throw e;
        }
        log.info("Run {} ({}): the {} message to '{}' failed (attempt {}): {}; trying again", run.runId,
            run.runbook.name(), event, channel, attempt, run.describe(e));
        run.host.scheduler().sleep(retry.delayAfter(attempt, key.hashCode()));
      }
    }
  }

  /** The details every message of the run carries. */
  Map<String, String> details() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("state", run.state().name());
    d.put("requester", run.requester == null ? "" : run.requester);
    d.put("planHash", run.plan.hash());
    return d;
  }
}
