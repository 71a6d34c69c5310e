/**
 * Messages to people: the {@link dev.runbook4j.notify.Notifier} SPI, and a webhook that posts JSON.
 *
 * @since 0.9
 */
package dev.runbook4j.notify;
