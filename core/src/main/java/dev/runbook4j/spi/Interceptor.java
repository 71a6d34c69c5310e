package dev.runbook4j.spi;

import org.apiguardian.api.API;

/**
 * Wraps every call the engine makes into user code: step actions, compensations, gate checks,
 * watch checks, wait conditions and reconcile hooks. For tracing, metrics and, above all, fault
 * injection: the testing module's fault injector is an interceptor, so faults reach Java-built
 * and script-loaded runbooks alike without touching them.
 *
 * <p>An interceptor calls {@link Invocation#proceed()} to make the call (or does not, to replace
 * it), and returns what the call returns; it may throw instead. What it returns must have the type
 * the call would return: the output of an action, {@code null} for a compensation, a
 * {@link dev.runbook4j.GateDecision} for a gate check, a {@link dev.runbook4j.Health} for a watch
 * check, a {@link Boolean} for a wait condition and an {@link java.util.Optional} for a reconcile
 * hook. It runs where the call would run: inside the step's timeout and policies, on the same
 * thread.
 *
 * <pre>{@code
 * RunbookEngine engine = RunbookEngine.builder()
 *     .interceptor(call -> {
 *       long t0 = System.nanoTime();
 *       try {
 *         return call.proceed();
 *       } finally {
 *         metrics.record(call.kind(), call.nodeId(), System.nanoTime() - t0);
 *       }
 *     })
 *     .build();
 * }</pre>
 *
 * <p>Implementations must be threadsafe: parallel branches call them at the same time.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
@FunctionalInterface
public interface Interceptor {
  /** Makes (or replaces) {@code call}, returning its result. */
  Object intercept(Invocation call) throws Exception;
}
