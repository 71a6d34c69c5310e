package dev.runbook4j.spi;

import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import org.apiguardian.api.API;

/**
 * What an in-attempt policy needs from the engine: the step, the clock, and a
 * {@link ScheduledExecutorService} backed by the engine's {@link Scheduler} (so timeouts and
 * in-call retries run on virtual time in tests).
 *
 * @param stepId the step (or compensation) the attempt belongs to
 * @param attempt the engine's attempt number
 * @param clock the engine's clock
 * @param scheduler timers on the engine's scheduler; only the {@code schedule} and
 *     {@code execute} methods are supported
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record PolicyContext(String stepId, int attempt, Clock clock, ScheduledExecutorService scheduler) {}
