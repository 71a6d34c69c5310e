package dev.runbook4j.defaults;

import dev.runbook4j.RunbookEngine;
import dev.runbook4j.internal.engine.DefaultRunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.resilience4j.Resilience4jPolicyAdapter;
import dev.runbook4j.spi.EngineFactory;
import dev.runbook4j.spi.EngineSettings;
import org.apiguardian.api.API;

/**
 * The {@link EngineFactory} registered in {@code META-INF/services}: the engine with the defaults
 * the builder leaves open filled in — an {@link InMemoryJournal}, the Resilience4j policy adapter.
 * The one place that knows both the engine and the default implementations, so the engine depends
 * on no journal or policy implementation.
 *
 * @since 0.2
 */
@API(status = API.Status.INTERNAL, since = "0.2")
public final class DefaultEngineFactory implements EngineFactory {
  @Override
  public RunbookEngine create(EngineSettings s) {
    EngineSettings filled = new EngineSettings(s.journal() != null ? s.journal() : new InMemoryJournal(), s.clock(),
        s.scheduler(), s.workers(), s.maxWorkers(), s.policyAdapter() != null ? s.policyAdapter()
        : Resilience4jPolicyAdapter.create(), s.lockManager(), s.listeners(), s.runbooks(), s.takeOver(), s.heartbeat(),
        s.parkAfter(), s.interceptors(), s.maxValueBytes(), s.notifiers(), s.notificationRetry());
    return new DefaultRunbookEngine(filled);
  }
}
