package dev.runbook4j.spi;

import dev.runbook4j.RunbookEngine;
import org.apiguardian.api.API;

/**
 * Makes the engine behind {@code RunbookEngine.builder()}; found with {@link java.util.ServiceLoader}
 * so the API does not depend on the implementation.
 *
 * @since 0.1
 */
@API(status = API.Status.INTERNAL, since = "0.1")
public interface EngineFactory {
  RunbookEngine create(EngineSettings settings);
}
