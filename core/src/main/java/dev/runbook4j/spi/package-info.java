/**
 * For extenders: journals, schedulers (virtual time), lock managers, in-attempt policies and the
 * engine factory. Users who only write and run runbooks need none of it.
 */
package dev.runbook4j.spi;
