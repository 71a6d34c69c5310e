package dev.runbook4j.spi;

import org.apiguardian.api.API;

/**
 * Delivers a run's messages to people: a chat channel, a pager, a webhook. An engine names its
 * notifiers ({@code RunbookEngine.builder().notifier("oncall", ...)}); runbooks send to them by
 * that name, from a {@code notify} step or a run hook.
 *
 * <p>{@link #send} throws when the message did not get through: a {@link NotificationException}
 * that says whether trying again may help (a 5xx, a timeout) or not (a 4xx); any other exception
 * counts as worth another try. The engine retries on its clock (virtual in tests), journals the
 * outcome, and never lets a notification change how a run ends: a hook that cannot be delivered is
 * journaled as such, a {@code notify} step fails as a step does (by its {@code onFailure}).
 *
 * <p>Implementations are threadsafe: several runs send at once.
 *
 * @since 0.9
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.9")
@FunctionalInterface
public interface Notifier {
  void send(Notification notification) throws Exception;
}
