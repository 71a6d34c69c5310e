/**
 * The default policy adapter, over Resilience4j 2.4: timeouts ({@code TimeLimiter}) and shared
 * circuit breakers, and adapters for a user's own Resilience4j policies on a step.
 */
package dev.runbook4j.resilience4j;
