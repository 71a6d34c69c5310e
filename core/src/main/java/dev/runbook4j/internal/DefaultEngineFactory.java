package dev.runbook4j.internal;

import dev.runbook4j.RunbookEngine;
import dev.runbook4j.spi.EngineFactory;
import dev.runbook4j.spi.EngineSettings;

/** The {@link EngineFactory} registered in {@code META-INF/services}. */
public final class DefaultEngineFactory implements EngineFactory {
  @Override
  public RunbookEngine create(EngineSettings settings) {
    return new DefaultRunbookEngine(settings);
  }
}
