/**
 * Notifiers that come with Runbook4j: {@link dev.runbook4j.notify.WebhookNotifier}, which posts
 * each message as JSON. The SPI they implement is {@link dev.runbook4j.spi.Notifier}.
 *
 * @since 0.9
 */
package dev.runbook4j.notify;
