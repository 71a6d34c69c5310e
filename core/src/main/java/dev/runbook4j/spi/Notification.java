package dev.runbook4j.spi;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * One message of a run to a channel: what a {@link Notifier} delivers. Its texts are masked of the
 * run's secrets before a notifier sees it.
 *
 * @param runId the run
 * @param runbook the runbook's name
 * @param event what the message is about: a hook's label ({@code succeeded}, {@code awaitingApproval}...)
 *     or {@code notify} for a notify step
 * @param channel the channel it goes to, as the engine names its notifiers
 * @param text the message
 * @param details what else the run knows of the moment: its state, the gate and its approvers, the
 *     failure, the step — by name, in a stable order
 * @param idempotencyKey the same for every attempt to deliver this message, across restarts: a
 *     receiver that remembers it can drop a repeat
 * @param at the engine's clock when it was made
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
public record Notification(String runId, String runbook, String event, String channel, String text,
    Map<String, String> details, String idempotencyKey, Instant at) {
  public Notification {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(runbook, "runbook");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(text, "text");
    details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(at, "at");
  }
}
