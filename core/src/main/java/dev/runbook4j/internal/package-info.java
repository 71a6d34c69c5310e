/** The engine. Nothing outside this package may depend on it; an ArchUnit test checks. */
package dev.runbook4j.internal;
