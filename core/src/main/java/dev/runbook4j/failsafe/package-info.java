/**
 * An optional policy adapter over Failsafe 3.3, for teams whose tooling already builds Failsafe
 * policies. Needs {@code dev.failsafe:failsafe} on the class path (an optional dependency of core).
 */
package dev.runbook4j.failsafe;
